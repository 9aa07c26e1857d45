/*-------------------------------------------------------------------------
 *
 * fuzz_nodekey_format.c
 *	  libFuzzer harness for the text form of node keys.
 *
 * Every input is checked twice.
 *
 * First as a literal: NodeKeyParse gets a heap copy of exactly the input's
 * length, an output buffer of exactly NODEKEY_LEN bytes and a reason buffer
 * of exactly NODEKEY_REASON_SIZE bytes, so that AddressSanitizer catches a
 * read or write past any of them.  Its verdict must match a reference
 * written here: the same acceptance, and for a refusal the very sentence
 * the reference expects (empty input, prefix, first bad byte with its
 * 1-based position, or number of digits), printable ASCII, untouched
 * output.  An accepted literal must print back, with NodeKeyFormat, as the
 * input with its digits in lower case, and that text must parse to the
 * same bytes.
 *
 * Then as material: the first 32 bytes (zero-padded) are a key, which must
 * print as 72 bytes and parse back to itself.
 *
 * Any disagreement aborts, which libFuzzer reports as a crash.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * test/fuzz/fuzz_nodekey_format.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodekey_format.h"

/* c.h sends these to the port library, which the harness does not link. */
#undef fprintf
#undef snprintf

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz_nodekey_format: %s\n", what);
	abort();
}

static int
ref_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The reference: NULL and the key in "key" for a valid literal, otherwise
 * the sentence NodeKeyParse must return, built in "buf".
 */
static const char *
ref_parse(const unsigned char *s, size_t len, uint8 *key, char *buf,
		  size_t bufsize)
{
	if (len == 0)
		return "A node key must start with \"nodekey:\", but the input is empty.";
	if (len < 8 || memcmp(s, "nodekey:", 8) != 0)
	{
		if (len >= 8)
		{
			bool		same = true;

			for (int i = 0; i < 8; i++)
			{
				unsigned char c = s[i];

				if (c >= 'A' && c <= 'Z')
					c = c - 'A' + 'a';
				if (c != (unsigned char) "nodekey:"[i])
					same = false;
			}
			if (same)
				return "The prefix \"nodekey:\" must be written in lower case.";
		}
		return "A node key must start with \"nodekey:\".";
	}
	for (size_t i = 8; i < len; i++)
	{
		unsigned char c = s[i];

		if (ref_hex(c) >= 0)
			continue;
		if (c == ' ')
			snprintf(buf, bufsize, "A space at position %zu is not a hexadecimal digit.",
					 i + 1);
		else if (c > ' ' && c < 0x7F && c != '"')
			snprintf(buf, bufsize, "\"%c\" at position %zu is not a hexadecimal digit.",
					 c, i + 1);
		else
			snprintf(buf, bufsize, "Byte 0x%02X at position %zu is not a hexadecimal digit.",
					 c, i + 1);
		return buf;
	}
	if (len - 8 != 64)
	{
		snprintf(buf, bufsize,
				 "A node key needs 64 hexadecimal digits after \"nodekey:\", found %zu.",
				 len - 8);
		return buf;
	}
	for (int i = 0; i < 32; i++)
		key[i] = (uint8) (ref_hex(s[8 + 2 * i]) * 16 + ref_hex(s[9 + 2 * i]));
	return NULL;
}

/* The input as a node key literal. */
static void
check_literal(const uint8_t *data, size_t size)
{
	char	   *text = size > 0 ? malloc(size) : NULL;
	uint8	   *out = malloc(NODEKEY_LEN);
	char	   *reason = malloc(NODEKEY_REASON_SIZE);
	uint8		ref_key[NODEKEY_LEN];
	char		ref_buf[256];
	const char *got;
	const char *want;

	if ((size > 0 && text == NULL) || out == NULL || reason == NULL)
		fail("out of memory");
	if (size > 0)
		memcpy(text, data, size);
	memset(out, 0xA5, NODEKEY_LEN);

	got = NodeKeyParse(text, size, out, reason);
	want = ref_parse((const unsigned char *) text, size, ref_key,
					 ref_buf, sizeof(ref_buf));

	if ((got == NULL) != (want == NULL))
		fail(got == NULL ? "accepted a literal the reference refuses"
			 : "refused a literal the reference accepts");

	if (got != NULL)
	{
		size_t		glen = strlen(got);

		if (strcmp(got, want) != 0)
		{
			fprintf(stderr, "got:  %s\nwant: %s\n", got, want);
			fail("the reason differs from the reference's");
		}
		if (glen >= NODEKEY_REASON_SIZE || glen == 0 || got[glen - 1] != '.')
			fail("the reason is not a short sentence");
		for (size_t i = 0; i < glen; i++)
			if ((unsigned char) got[i] < 0x20 || (unsigned char) got[i] > 0x7E)
				fail("the reason holds a byte that is not printable ASCII");
		for (int i = 0; i < NODEKEY_LEN; i++)
			if (out[i] != 0xA5)
				fail("a refused literal changed the output");
	}
	else
	{
		char	   *printed = malloc(NODEKEY_TEXT_LEN + 1);
		uint8		again[NODEKEY_LEN];

		if (printed == NULL)
			fail("out of memory");
		if (memcmp(out, ref_key, NODEKEY_LEN) != 0)
			fail("parsed bytes differ from the reference's");
		NodeKeyFormat(out, printed);
		if (strlen(printed) != size)
			fail("the printed key has another length than the literal");
		for (size_t i = 0; i < size; i++)
		{
			unsigned char c = (unsigned char) text[i];

			if (c >= 'A' && c <= 'F')
				c = c - 'A' + 'a';
			if ((unsigned char) printed[i] != c)
				fail("the printed key is not the literal in lower case");
		}
		if (NodeKeyParse(printed, NODEKEY_TEXT_LEN, again, reason) != NULL ||
			memcmp(again, out, NODEKEY_LEN) != 0)
			fail("the printed key does not parse to the same bytes");
		free(printed);
	}
	free(reason);
	free(out);
	free(text);
}

/* The input as the bytes of a key. */
static void
check_key(const uint8_t *data, size_t size)
{
	uint8	   *key = malloc(NODEKEY_LEN);
	char	   *printed = malloc(NODEKEY_TEXT_LEN + 1);
	char	   *copy = malloc(NODEKEY_TEXT_LEN);
	char		reason[NODEKEY_REASON_SIZE];
	uint8		again[NODEKEY_LEN];

	if (key == NULL || printed == NULL || copy == NULL)
		fail("out of memory");
	memset(key, 0, NODEKEY_LEN);
	memcpy(key, data, Min(size, NODEKEY_LEN));

	NodeKeyFormat(key, printed);
	if (strlen(printed) != NODEKEY_TEXT_LEN ||
		memcmp(printed, NODEKEY_PREFIX, NODEKEY_PREFIX_LEN) != 0)
		fail("a printed key is not \"nodekey:\" and 64 digits");
	for (int i = NODEKEY_PREFIX_LEN; i < NODEKEY_TEXT_LEN; i++)
		if (!((printed[i] >= '0' && printed[i] <= '9') ||
			  (printed[i] >= 'a' && printed[i] <= 'f')))
			fail("a printed key has a digit that is not lower-case hex");

	memcpy(copy, printed, NODEKEY_TEXT_LEN);
	if (NodeKeyParse(copy, NODEKEY_TEXT_LEN, again, reason) != NULL ||
		memcmp(again, key, NODEKEY_LEN) != 0)
		fail("a printed key does not parse back to itself");

	free(copy);
	free(printed);
	free(key);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_literal(data, size);
	check_key(data, size);
	return 0;
}
