/*-------------------------------------------------------------------------
 *
 * test_lock.c
 *	  Standalone test of the Tailnet Lock core (src/tka_*.c): the public
 *	  vectors of the reference, then every scenario of test/lock/oracle.py
 *	  run through the C API and compared with the oracle's expectation.
 *
 * The vectors: the AddKey, RemoveKey and UpdateKey AUMs encode and hash
 * as the reference's tests say; the real credential decodes, re-encodes
 * byte for byte and its signature verifies against its key id, and
 * replacing any one of its bytes by any other value makes it fail.
 *
 * The scenarios (the --text output of oracle.py) are run as the SQL layer
 * will run them: each AUM is decoded, statically validated, chained to
 * the stored AUM it names as parent (the first one of a scenario is its
 * genesis), verified, applied and stored with the state after it; the
 * head is found by following, from the genesis, the child each fork
 * chooses; node key signatures are verified against the head's state and
 * disablement secrets checked against its values.  Every verdict, status,
 * hash, key, vote, meta map, state id and authorizing key must be the
 * oracle's.
 *
 * Prints one line per failure and ends with "N passed, N failed".
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * test/lock/test_lock.c
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tka_cbor.h"
#include "tka_crypto.h"
#include "tka_decode.h"
#include "tka_disable.h"
#include "tka_encode.h"
#include "tka_error.h"
#include "tka_sig.h"
#include "tka_state.h"
#include "tka_validate.h"

/* c.h sends these to the port library, which the test does not link. */
#undef fprintf
#undef printf
#undef snprintf
#undef sprintf

static int	passed;
static int	failed;
static int	line_no;

/* Count one check, printing it when it fails. */
static void
check(bool ok, const char *what, const char *detail)
{
	if (ok)
		passed++;
	else
	{
		failed++;
		printf("FAILED (line %d): %s%s%s\n", line_no, what,
			   detail ? ": " : "", detail ? detail : "");
	}
}

/* malloc that exits on failure. */
static void *
xmalloc(size_t n)
{
	void	   *p = malloc(n > 0 ? n : 1);

	if (p == NULL)
	{
		fprintf(stderr, "test_lock: out of memory\n");
		exit(2);
	}
	return p;
}

/* Hex to bytes; "-" is empty.  Returns a malloc'd buffer. */
static uint8 *
unhex(const char *hex, size_t *len)
{
	size_t		n = strcmp(hex, "-") == 0 ? 0 : strlen(hex) / 2;
	uint8	   *out = xmalloc(n);

	for (size_t i = 0; i < n; i++)
	{
		unsigned int b;

		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
		{
			fprintf(stderr, "test_lock: bad hex at line %d\n", line_no);
			exit(2);
		}
		out[i] = (uint8) b;
	}
	*len = n;
	return out;
}

/* Bytes to lower-case hex in out (2 * len + 1 bytes). */
static void
tohex(const uint8 *data, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", data[i]);
	out[2 * len] = '\0';
}

/* A status as the oracle names it. */
static const char *
status_word(TkaStatus st)
{
	switch (st)
	{
		case TKA_OK:
			return "accepted";
		case TKA_MALFORMED:
			return "malformed";
		case TKA_INVALID:
			return "invalid";
		case TKA_REJECTED:
			return "rejected";
		default:
			return TkaStatusName(st);
	}
}

/*
 * ----------------------------------------------------------------------
 * The public vectors
 * ----------------------------------------------------------------------
 */

static const char vector1[] = "a3010102f603a301010200034401020304";
static const char vector1_hash[] =
"53898e4311d0b6087fcbb871563868a16c629d9267df851fcfa7b52b31d2bd03";
static const char remove_hash[] =
"15d65756abfafbb592279503f40759898590c9c59056be1e2e9f02684c15ba4b";
static const char update_hash[] =
"d55458a9c3ed6997439ba5a18b9b62d2c6e5e0c1bb4c61409e92a1281a3b458d";
static const char credential[] =
"a401030358209d7bb0e3f7d69cd594c1ca0e8cb7a684ebe69758ee325e6584b998e6c054b23f"
"0458401f2f681d783f60f150f0e6d81cc428871a511bebb0605360e5173640a62e0b85e2c9ad"
"a03ea588d3182855869673d62ca204f0fe536ab10d001b337f96158d04065820c6656a1b9dc7"
"bb4460f8a9872453255217e0ce8f8040febe2a4f46cef2493ace";

/* Hash of an AUM, in hex. */
static void
aum_hash_hex(const TkaAum *aum, char *out)
{
	uint8		h[TKA_HASH_LEN];
	TkaError	err;

	if (TkaAumHash(aum, h, &err) != TKA_OK)
		strcpy(out, "?");
	else
		tohex(h, TKA_HASH_LEN, out);
}

/* Encode an AUM into a malloc'd buffer. */
static uint8 *
encode_aum(const TkaAum *aum, size_t *len)
{
	TkaWriter	w;
	uint8	   *buf;

	TkaWriterInitBuffer(&w, NULL, 0);
	TkaEncodeAum(&w, aum, true);
	buf = xmalloc(w.len);
	*len = w.len;
	TkaWriterInitBuffer(&w, buf, *len);
	TkaEncodeAum(&w, aum, true);
	return buf;
}

/* Does the credential (possibly altered) decode as one and verify? */
static bool
credential_verifies(const uint8 *data, size_t len)
{
	char	   *mem = xmalloc(TKA_ARENA_SIZE(len));
	TkaArena	arena;
	TkaNodeKeySig sig;
	TkaError	err;
	uint8		sighash[TKA_HASH_LEN];
	bool		ok;

	TkaArenaInit(&arena, mem, TKA_ARENA_SIZE(len));
	ok = TkaDecodeNodeKeySig(data, len, &arena, &sig, &err) == TKA_OK &&
		sig.kind == TKA_SIG_CREDENTIAL &&
		TkaNodeKeySigHash(&sig, sighash, &err) == TKA_OK &&
		TkaEd25519Verify(&sig.key_id, sighash, TKA_HASH_LEN, &sig.signature,
						 &err) == TKA_OK;
	free(mem);
	return ok;
}

/* The three public vectors of TAILNET-LOCK.md. */
static void
test_vectors(void)
{
	size_t		len,
				len2;
	uint8	   *v1 = unhex(vector1, &len);
	char	   *mem = xmalloc(TKA_ARENA_SIZE(4096));
	TkaArena	arena;
	TkaAum		add,
				other;
	TkaError	err;
	char		hex[2 * TKA_HASH_LEN + 1];
	uint8		h1[TKA_HASH_LEN];
	uint8	   *enc;
	static const uint8 key_id[] = {1, 2, 3, 4};
	static const uint8 a[] = "a",
				b[] = "b";
	TkaMetaEntry entry;

	/* 1: the AddKey AUM */
	TkaArenaInit(&arena, mem, TKA_ARENA_SIZE(4096));
	check(TkaDecodeAum(v1, len, &arena, &add, &err) == TKA_OK,
		  "vector 1 decodes", err.reason);
	check(add.kind == TKA_AUM_ADD_KEY && add.parent.data == NULL && add.has_key &&
		  add.key.votes == 0 && add.key.public_key.len == 4,
		  "vector 1 has its fields", NULL);
	enc = encode_aum(&add, &len2);
	check(len2 == len && memcmp(enc, v1, len) == 0, "vector 1 re-encodes", NULL);
	free(enc);
	aum_hash_hex(&add, hex);
	check(strcmp(hex, vector1_hash) == 0, "vector 1 hash", hex);
	check(TkaBlake2s(v1, len, h1, &err) == TKA_OK, "BLAKE2s of bytes", NULL);
	check(TkaAumValidate(&add, &err) == TKA_INVALID,
		  "vector 1 is not a valid AddKey (0 votes)", err.reason);

	/* 2: RemoveKey and UpdateKey after it */
	memset(&other, 0, sizeof(other));
	other.kind = TKA_AUM_REMOVE_KEY;
	other.parent.data = h1;
	other.parent.len = TKA_HASH_LEN;
	other.key_id.data = key_id;
	other.key_id.len = sizeof(key_id);
	aum_hash_hex(&other, hex);
	check(strcmp(hex, remove_hash) == 0, "vector 2 RemoveKey hash", hex);
	enc = encode_aum(&other, &len2);
	{
		TkaAum		back;

		check(TkaDecodeAum(enc, len2, &arena, &back, &err) == TKA_OK,
			  "vector 2 RemoveKey decodes", err.reason);
	}
	free(enc);
	other.kind = TKA_AUM_UPDATE_KEY;
	other.has_votes = true;
	other.votes = 1;
	entry.key.data = a;
	entry.key.len = 1;
	entry.value.data = b;
	entry.value.len = 1;
	other.meta.count = 1;
	other.meta.entries = &entry;
	aum_hash_hex(&other, hex);
	check(strcmp(hex, update_hash) == 0, "vector 2 UpdateKey hash", hex);
	enc = encode_aum(&other, &len2);
	{
		TkaAum		back;

		check(TkaDecodeAum(enc, len2, &arena, &back, &err) == TKA_OK &&
			  back.has_votes && back.votes == 1 && back.meta.count == 1,
			  "vector 2 UpdateKey decodes", err.reason);
	}
	free(enc);
	free(v1);
	free(mem);

	/* 3: the real credential, then every byte replaced by every other value */
	{
		uint8	   *cred = unhex(credential, &len);
		int			survived = 0;

		check(len == 140, "the credential is 140 bytes", NULL);
		check(credential_verifies(cred, len), "the credential verifies", NULL);
		for (size_t i = 0; i < len; i++)
		{
			uint8		orig = cred[i];

			for (int v = 0; v < 256; v++)
			{
				if (v == orig)
					continue;
				cred[i] = (uint8) v;
				if (credential_verifies(cred, len))
				{
					survived++;
					printf("credential byte %zu set to 0x%02x still verifies\n", i, v);
				}
			}
			cred[i] = orig;
		}
		check(survived == 0, "no altered byte of the credential verifies", NULL);
		free(cred);
	}
}

/*
 * ----------------------------------------------------------------------
 * The oracle's scenarios
 * ----------------------------------------------------------------------
 */

typedef struct Stored
{
	uint8	   *bytes;
	char	   *arena_memory;
	TkaAum		aum;
	uint8		hash[TKA_HASH_LEN];
	TkaStateBuffer *after;
} Stored;

static Stored *store;
static int	nstored;
static int	store_cap;

/* Forget the AUMs of the previous scenario. */
static void
store_reset(void)
{
	for (int i = 0; i < nstored; i++)
	{
		free(store[i].bytes);
		free(store[i].arena_memory);
		free(store[i].after);
	}
	nstored = 0;
}

/* The stored AUM of a hash, or NULL. */
static Stored *
store_find(const TkaBytes *hash)
{
	if (hash->data == NULL || hash->len != TKA_HASH_LEN)
		return NULL;
	for (int i = 0; i < nstored; i++)
		if (memcmp(store[i].hash, hash->data, TKA_HASH_LEN) == 0)
			return &store[i];
	return NULL;
}

/*
 * A state as the SQL layer will store it: encoded, then decoded again, it
 * must come back the same (the same encoding, hence the same hash).
 */
static void
check_state_round_trip(const TkaState *state)
{
	TkaWriter	w;
	uint8	   *buf;
	char	   *mem;
	TkaArena	arena;
	TkaState	back;
	TkaError	err;
	uint8		h1[TKA_HASH_LEN],
				h2[TKA_HASH_LEN];

	err.reason[0] = '\0';
	TkaWriterInitBuffer(&w, NULL, 0);
	TkaEncodeState(&w, state);
	buf = xmalloc(w.len);
	mem = xmalloc(TKA_ARENA_SIZE(w.len));
	TkaArenaInit(&arena, mem, TKA_ARENA_SIZE(w.len));
	{
		size_t		len = w.len;

		TkaWriterInitBuffer(&w, buf, len);
		TkaEncodeState(&w, state);
		check(!w.overflow && TkaDecodeState(buf, len, &arena, &back, &err) == TKA_OK &&
			  TkaStateHash(state, h1, &err) == TKA_OK &&
			  TkaStateHash(&back, h2, &err) == TKA_OK &&
			  memcmp(h1, h2, TKA_HASH_LEN) == 0 &&
			  back.nkeys == state->nkeys && back.last_hash.len == TKA_HASH_LEN,
			  "the state after an AUM survives encoding and decoding", err.reason);
	}
	free(mem);
	free(buf);
}

/*
 * Submit one AUM as lock_submit does; the status, and its hash in "hash"
 * when accepted.  An AUM stored already is skipped (accepted, not stored
 * twice), as lock_submit and the reference's Inform skip it.
 */
static TkaStatus
submit(uint8 *bytes, size_t len, uint8 *hash, TkaError *err)
{
	size_t		asize = TKA_ARENA_SIZE(len);
	char	   *mem = xmalloc(asize);
	TkaArena	arena;
	TkaAum		aum;
	TkaStatus	st;
	const TkaState *before = NULL;
	Stored	   *s;

	TkaArenaInit(&arena, mem, asize);
	st = TkaDecodeAum(bytes, len, &arena, &aum, err);
	if (st == TKA_OK)
		st = TkaAumValidate(&aum, err);
	if (st == TKA_OK)
		st = TkaAumHash(&aum, hash, err);
	if (st == TKA_OK && nstored > 0)
	{
		TkaBytes	h = {hash, TKA_HASH_LEN};

		if (store_find(&h) != NULL)
		{
			free(mem);
			free(bytes);
			return TKA_OK;
		}
	}
	if (st == TKA_OK && nstored > 0)
	{
		Stored	   *parent = store_find(&aum.parent);

		if (parent == NULL)
		{
			TkaFail(err, TKA_REJECTED, "The parent is not stored.");
			st = TKA_REJECTED;
		}
		else
			before = &parent->after->state;
	}
	if (st == TKA_OK)
		st = TkaAumVerify(&aum, before, err);
	if (st != TKA_OK)
	{
		free(mem);
		free(bytes);
		return st;
	}
	if (nstored == store_cap)
	{
		store_cap = store_cap ? store_cap * 2 : 16;
		store = realloc(store, store_cap * sizeof(Stored));
		if (store == NULL)
			exit(2);
	}
	s = &store[nstored];
	s->bytes = bytes;
	s->arena_memory = mem;
	s->aum = aum;
	s->after = xmalloc(sizeof(TkaStateBuffer));
	if ((st = TkaAumHash(&aum, s->hash, err)) == TKA_OK)
		st = TkaStateApply(before, &s->aum, s->hash, s->after, err);
	if (st != TKA_OK)
	{
		free(mem);
		free(bytes);
		free(s->after);
		return st;
	}
	check_state_round_trip(&s->after->state);
	nstored++;
	return TKA_OK;
}

/* The head: from the genesis, follow the child each fork chooses. */
static Stored *
head(void)
{
	Stored	   *cur = nstored > 0 ? &store[0] : NULL;
	TkaForkCandidate *cand = xmalloc(sizeof(TkaForkCandidate) * (nstored + 1));
	int		   *index = xmalloc(sizeof(int) * (nstored + 1));

	for (int steps = 0; cur != NULL && steps <= nstored; steps++)
	{
		int			n = 0;

		for (int i = 0; i < nstored; i++)
		{
			Stored	   *c = &store[i];

			if (c->aum.parent.data != NULL &&
				memcmp(c->aum.parent.data, cur->hash, TKA_HASH_LEN) == 0)
			{
				cand[n].weight = TkaAumWeight(&c->aum, &cur->after->state);
				cand[n].kind = c->aum.kind;
				memcpy(cand[n].hash, c->hash, TKA_HASH_LEN);
				index[n++] = i;
			}
		}
		if (n == 0)
			break;
		cur = &store[index[TkaForkChoose(cand, n)]];
	}
	free(cand);
	free(index);
	return cur;
}

/* Canonical CBOR of a meta map, in hex (a0 for none). */
static void
meta_hex(const TkaMeta *meta, char *out, size_t outsize)
{
	uint8		buf[4096];
	TkaWriter	w;

	TkaWriterInitBuffer(&w, buf, sizeof(buf));
	TkaWriteHead(&w, TKA_CBOR_MAP, (uint64) meta->count);
	for (int i = 0; i < meta->count; i++)
	{
		TkaWriteText(&w, meta->entries[i].key.data, meta->entries[i].key.len);
		TkaWriteText(&w, meta->entries[i].value.data, meta->entries[i].value.len);
	}
	if (w.overflow || 2 * w.len + 1 > outsize)
		strcpy(out, "?");
	else
		tohex(buf, w.len, out);
}

/* Statuses compare as words; "any" takes any refusal. */
static void
check_status(TkaStatus got, const char *expect, const char *status,
			 const char *what, const TkaError *err)
{
	char		detail[TKA_REASON_SIZE + 64];

	snprintf(detail, sizeof(detail), "expected %s %s, got %s (%s)", expect,
			 status, status_word(got), got == TKA_OK ? "" : err->reason);
	if (strcmp(expect, "accepted") == 0)
		check(got == TKA_OK, what, detail);
	else if (strcmp(status, "any") == 0 || strcmp(status, "-") == 0)
		check(got != TKA_OK, what, detail);
	else
		check(strcmp(status_word(got), status) == 0, what, detail);
}

/* Decode a node key signature and verify it against the head's state. */
static void
step_sign(char *node_hex, char *sig_hex, char *expect, char *detail)
{
	size_t		nlen,
				slen;
	uint8	   *node = unhex(node_hex, &nlen);
	uint8	   *data = unhex(sig_hex, &slen);
	char	   *mem = xmalloc(TKA_ARENA_SIZE(slen));
	TkaArena	arena;
	TkaNodeKeySig sig;
	TkaError	err;
	TkaStatus	st;
	TkaBytes	auth = {NULL, 0};
	Stored	   *h = head();

	TkaArenaInit(&arena, mem, TKA_ARENA_SIZE(slen));
	st = TkaDecodeNodeKeySig(data, slen, &arena, &sig, &err);
	if (st == TKA_OK)
	{
		if (h == NULL)
		{
			TkaFail(&err, TKA_REJECTED, "No authority.");
			st = TKA_REJECTED;
		}
		else
			st = TkaNodeKeySigVerify(&sig, node, &h->after->state, &auth, &err);
	}
	if (strcmp(expect, "accepted") == 0)
	{
		char		got[2 * TKA_KEY_LEN + 1] = "";

		check(st == TKA_OK, "node key signature accepted", err.reason);
		if (st == TKA_OK && auth.len == TKA_KEY_LEN)
			tohex(auth.data, auth.len, got);
		check(strcmp(got, detail) == 0, "authorizing key", got);
	}
	else
		check_status(st, expect, detail, "node key signature refused", &err);
	free(mem);
	free(data);
	free(node);
}

/* Compare the head with the oracle's: hash, state ids, keys, values. */
static void
step_head(char **fields, FILE *in, char **line, size_t *cap)
{
	Stored	   *h = head();
	const TkaState *s = h ? &h->after->state : NULL;
	char		hex[2 * TKA_HASH_LEN + 1] = "-";
	int			nkey = 0,
				ndis = 0;

	if (h)
		tohex(h->hash, TKA_HASH_LEN, hex);
	check(h != NULL && strcmp(hex, fields[1]) == 0, "head hash", hex);
	check(s != NULL && s->state_id1 == strtoull(fields[2], NULL, 10) &&
		  s->state_id2 == strtoull(fields[3], NULL, 10), "state ids", NULL);
	while (getline(line, cap, in) > 0)
	{
		char	   *l = *line;
		char	   *tok[4];
		int			n = 0;

		line_no++;
		l[strcspn(l, "\n")] = '\0';
		if (strcmp(l, "endhead") == 0)
			break;
		for (char *t = strtok(l, " "); t && n < 4; t = strtok(NULL, " "))
			tok[n++] = t;
		if (s == NULL)
			continue;
		if (strcmp(tok[0], "key") == 0)
		{
			char		id[2 * TKA_KEY_LEN + 1] = "",
						meta[8192];

			if (nkey < s->nkeys)
			{
				const TkaKey *k = &s->keys[nkey];

				if (k->public_key.len == TKA_KEY_LEN)
					tohex(k->public_key.data, TKA_KEY_LEN, id);
				check(strcmp(id, tok[1]) == 0, "trusted key id", id);
				check(k->votes == strtoull(tok[2], NULL, 10), "trusted key votes", NULL);
				meta_hex(&k->meta, meta, sizeof(meta));
				check(strcmp(meta, tok[3]) == 0, "trusted key meta", meta);
			}
			nkey++;
		}
		else if (strcmp(tok[0], "disablement") == 0)
		{
			char		v[2 * TKA_DISABLEMENT_LEN + 1] = "";

			if (ndis < s->ndisablement && s->disablement[ndis].len == TKA_DISABLEMENT_LEN)
				tohex(s->disablement[ndis].data, TKA_DISABLEMENT_LEN, v);
			check(strcmp(v, tok[1]) == 0, "disablement value", v);
			ndis++;
		}
	}
	if (s != NULL)
	{
		check(nkey == s->nkeys, "number of trusted keys", NULL);
		check(ndis == s->ndisablement, "number of disablement values", NULL);
	}
}

/* Decode bytes as one structure and compare the verdict. */
static void
step_decode(char *what, char *data_hex, char *expect, char *status)
{
	size_t		len;
	uint8	   *data = unhex(data_hex, &len);
	char	   *mem = xmalloc(TKA_ARENA_SIZE(len));
	TkaArena	arena;
	TkaError	err;
	TkaStatus	st;
	union
	{
		TkaKey		key;
		TkaState	state;
		TkaAum		aum;
		TkaNodeKeySig sig;
	}			v;

	TkaArenaInit(&arena, mem, TKA_ARENA_SIZE(len));
	if (strcmp(what, "aum") == 0)
		st = TkaDecodeAum(data, len, &arena, &v.aum, &err);
	else if (strcmp(what, "sig") == 0)
		st = TkaDecodeNodeKeySig(data, len, &arena, &v.sig, &err);
	else if (strcmp(what, "key") == 0)
		st = TkaDecodeKey(data, len, &arena, &v.key, &err);
	else
		st = TkaDecodeState(data, len, &arena, &v.state, &err);
	check_status(st, expect, status, "decode", &err);
	if (getenv("TEST_LOCK_VERBOSE") && st != TKA_OK)
		printf("decode refused: %s\n", err.reason);
	free(mem);
	free(data);
}

/* Check a disablement secret against the head's values. */
static void
step_disable(char *secret_hex, char *expect)
{
	size_t		len;
	uint8	   *secret = unhex(secret_hex, &len);
	Stored	   *h = head();
	bool		matches = false;
	TkaError	err;

	check(h != NULL &&
		  TkaDisablementCheck(secret, len, h->after->state.disablement,
							  h->after->state.ndisablement, &matches, &err) == TKA_OK &&
		  matches == (strcmp(expect, "yes") == 0),
		  "disablement secret", expect);
	free(secret);
}

/* Run every step of the oracle's text output. */
static void
run_scenarios(const char *path)
{
	FILE	   *in = fopen(path, "r");
	char	   *line = NULL;
	size_t		cap = 0;
	char		name[256] = "";

	if (in == NULL)
	{
		fprintf(stderr, "test_lock: cannot open %s\n", path);
		exit(2);
	}
	while (getline(&line, &cap, in) > 0)
	{
		char	   *f[6];
		int			n = 0;
		int			before = failed;

		line_no++;
		line[strcspn(line, "\n")] = '\0';
		for (char *t = strtok(line, " "); t && n < 6; t = strtok(NULL, " "))
			f[n++] = t;
		if (n == 0)
			continue;
		if (strcmp(f[0], "scenario") == 0)
		{
			store_reset();
			snprintf(name, sizeof(name), "%s", f[1]);
		}
		else if (strcmp(f[0], "aum") == 0 && n == 4)
		{
			size_t		len;
			uint8	   *bytes = unhex(f[1], &len);
			TkaError	err;
			uint8		hash[TKA_HASH_LEN];
			TkaStatus	st = submit(bytes, len, hash, &err);

			check_status(st, f[2], f[3], "AUM", &err);
			if (getenv("TEST_LOCK_VERBOSE") && st != TKA_OK)
				printf("AUM refused (%s): %s\n", status_word(st), err.reason);
			if (st == TKA_OK && strcmp(f[2], "accepted") == 0)
			{
				char		hex[2 * TKA_HASH_LEN + 1];

				tohex(hash, TKA_HASH_LEN, hex);
				check(strcmp(hex, f[3]) == 0, "AUM hash", hex);
			}
		}
		else if (strcmp(f[0], "head") == 0 && n == 4)
			step_head(f, in, &line, &cap);
		else if (strcmp(f[0], "sign") == 0 && n == 5)
			step_sign(f[1], f[2], f[3], f[4]);
		else if (strcmp(f[0], "disable") == 0 && n == 3)
			step_disable(f[1], f[2]);
		else if (strcmp(f[0], "decode") == 0 && n == 5)
			step_decode(f[1], f[2], f[3], f[4]);
		else if (strcmp(f[0], "end") == 0)
			store_reset();
		else
		{
			fprintf(stderr, "test_lock: cannot read line %d of %s\n", line_no, path);
			exit(2);
		}
		if (failed > before)
			printf("  (scenario %s)\n", name);
	}
	free(line);
	fclose(in);
	free(store);
}

/* test_lock [SCENARIOS]: the vectors, then the scenarios if given. */
int
main(int argc, char **argv)
{
	test_vectors();
	printf("vectors: %d checks, %d failed\n", passed + failed, failed);
	if (argc > 1)
	{
		int			before = passed + failed;

		run_scenarios(argv[1]);
		printf("scenarios: %d checks from %s\n", passed + failed - before, argv[1]);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
