/*-------------------------------------------------------------------------
 *
 * nodekey_format.c
 *	  Parsing and formatting of the text form of node keys.
 *
 * This file must stay free of backend calls (no palloc, no ereport, no
 * elog) so that it can be built into standalone test programs.  Input is
 * treated as an arbitrary run of bytes of known length: it need not be
 * NUL-terminated, may contain NUL bytes and may be of any length.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/nodekey_format.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "nodekey_format.h"

/* Digits for printing keys, and for naming bytes in messages. */
static const char hex_digits[] = "0123456789abcdef";
static const char hex_digits_upper[] = "0123456789ABCDEF";

/*
 * Return the value of the hexadecimal digit c, or -1 if c is not one.
 *
 * Written out by hand rather than with <ctype.h> so that the result does not
 * depend on the locale.
 */
static int
hex_value(unsigned char c)
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
 * Does the text start with the prefix in some mix of upper and lower case?
 *
 * Only used to explain a rejected prefix better; the caller must have checked
 * that at least NODEKEY_PREFIX_LEN bytes are available.
 */
static bool
prefix_matches_ignoring_case(const unsigned char *text)
{
	int			i;

	for (i = 0; i < NODEKEY_PREFIX_LEN; i++)
	{
		unsigned char c = text[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != (unsigned char) NODEKEY_PREFIX[i])
			return false;
	}
	return true;
}

/*
 * Append the string s to the reason buffer at *pos.
 *
 * The buffer is NODEKEY_REASON_SIZE bytes; anything that would not fit is
 * dropped, and the buffer is always left NUL-terminated.
 */
static void
append_string(char *reason, size_t *pos, const char *s)
{
	while (*s != '\0' && *pos < NODEKEY_REASON_SIZE - 1)
		reason[(*pos)++] = *s++;
	reason[*pos] = '\0';
}

/*
 * Append the decimal form of value to the reason buffer at *pos.
 *
 * Done by hand because snprintf() is redirected into the port library by
 * "c.h", which this file must not depend on.
 */
static void
append_number(char *reason, size_t *pos, size_t value)
{
	char		digits[24];
	int			n = sizeof(digits) - 1;

	digits[n] = '\0';
	do
	{
		digits[--n] = (char) ('0' + value % 10);
		value /= 10;
	} while (value != 0 && n > 0);
	append_string(reason, pos, &digits[n]);
}

/*
 * Describe the byte c, found at the 1-based position, as not being a
 * hexadecimal digit.
 *
 * Printable ASCII is quoted as it is; a space, a double quote, control
 * characters and bytes above 0x7F are named by their code, so that the
 * message never contains a stray byte of some multibyte character.  Every
 * byte before the first bad one is ASCII, so the byte position is also the
 * character position.
 */
static const char *
describe_bad_byte(unsigned char c, size_t position, char *reason)
{
	size_t		pos = 0;

	if (c == ' ')
		append_string(reason, &pos, "A space");
	else if (c > ' ' && c < 0x7F && c != '"')
	{
		char		quoted[4];

		quoted[0] = '"';
		quoted[1] = (char) c;
		quoted[2] = '"';
		quoted[3] = '\0';
		append_string(reason, &pos, quoted);
	}
	else
	{
		char		code[5];

		code[0] = '0';
		code[1] = 'x';
		code[2] = hex_digits_upper[c >> 4];
		code[3] = hex_digits_upper[c & 0xF];
		code[4] = '\0';
		append_string(reason, &pos, "Byte ");
		append_string(reason, &pos, code);
	}
	append_string(reason, &pos, " at position ");
	append_number(reason, &pos, position);
	append_string(reason, &pos, " is not a hexadecimal digit.");
	return reason;
}

/*
 * Parse the text form of a node key.
 *
 * text points to len bytes, which need not be NUL-terminated.  On success the
 * 32 bytes of the key are stored in out and NULL is returned.  Otherwise out
 * is left untouched and the result is a complete English sentence saying what
 * is wrong, suitable as an error detail; it does not repeat the input.  The
 * sentence is either a constant string or is built in reason, which must have
 * room for NODEKEY_REASON_SIZE bytes; either way it stays valid as long as
 * reason does.
 *
 * The prefix must be "nodekey:" in lower case; the digits after it may be in
 * either case.  Positions in messages count bytes of the whole input from 1.
 */
const char *
NodeKeyParse(const char *text, size_t len, uint8 *out, char *reason)
{
	const unsigned char *bytes = (const unsigned char *) text;
	uint8		key[NODEKEY_LEN];
	size_t		ndigits;
	size_t		i;

	if (len == 0)
		return "A node key must start with \"nodekey:\", but the input is empty.";

	if (len < NODEKEY_PREFIX_LEN ||
		memcmp(bytes, NODEKEY_PREFIX, NODEKEY_PREFIX_LEN) != 0)
	{
		if (len >= NODEKEY_PREFIX_LEN && prefix_matches_ignoring_case(bytes))
			return "The prefix \"nodekey:\" must be written in lower case.";
		return "A node key must start with \"nodekey:\".";
	}

	/*
	 * Look at every byte before counting them, so that stray characters are
	 * reported as such rather than as a wrong number of digits.
	 */
	for (i = NODEKEY_PREFIX_LEN; i < len; i++)
	{
		if (hex_value(bytes[i]) < 0)
			return describe_bad_byte(bytes[i], i + 1, reason);
	}

	ndigits = len - NODEKEY_PREFIX_LEN;
	if (ndigits != NODEKEY_HEX_LEN)
	{
		size_t		pos = 0;

		append_string(reason, &pos,
					  "A node key needs 64 hexadecimal digits after \"nodekey:\", found ");
		append_number(reason, &pos, ndigits);
		append_string(reason, &pos, ".");
		return reason;
	}

	for (i = 0; i < NODEKEY_LEN; i++)
	{
		const unsigned char *pair = bytes + NODEKEY_PREFIX_LEN + 2 * i;

		key[i] = (uint8) ((hex_value(pair[0]) << 4) | hex_value(pair[1]));
	}
	memcpy(out, key, NODEKEY_LEN);
	return NULL;
}

/*
 * Write the text form of a node key.
 *
 * out must have room for NODEKEY_TEXT_LEN + 1 bytes; it receives the prefix,
 * 64 lower-case hexadecimal digits and a terminating NUL.
 */
void
NodeKeyFormat(const uint8 *key, char *out)
{
	int			i;

	memcpy(out, NODEKEY_PREFIX, NODEKEY_PREFIX_LEN);
	out += NODEKEY_PREFIX_LEN;
	for (i = 0; i < NODEKEY_LEN; i++)
	{
		*out++ = hex_digits[key[i] >> 4];
		*out++ = hex_digits[key[i] & 0xF];
	}
	*out = '\0';
}
