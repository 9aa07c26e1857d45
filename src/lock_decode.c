/*-------------------------------------------------------------------------
 *
 * lock_decode.c
 *	  auth_keys.lock_decode: a Tailnet Lock structure, readable, as jsonb.
 *
 * Any AUM, node key signature, key or state that is exactly canonical
 * CBOR is shown, whether or not it could ever be accepted: the decoders
 * judge no value (src/tka_decode.h).  An AUM also says whether it is
 * statically valid and, if not, why; a key likewise.  Byte strings are
 * lower-case hexadecimal; hashes are computed, not taken from the input:
 * an AUM's "hash" (what a child names as its parent) and "sighash" (what
 * its signatures sign), a signature's "sighash".
 *
 * Text (key meta) is UTF-8 in the structures and is converted to the
 * database's encoding, as any text entering the database is; a character
 * the encoding cannot represent is an error (22P05), and a NUL character,
 * which jsonb cannot hold, is shown as the six characters \u0000.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/lock_decode.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"

#include "lock_codec.h"
#include "lock_report.h"
#include "tka_crypto.h"
#include "tka_sig.h"
#include "tka_validate.h"

PG_FUNCTION_INFO_V1(auth_keys_lock_decode);

/* Start a field of the object being written; *first tracks the comma. */
static void
field(StringInfo out, bool *first, const char *name)
{
	if (!*first)
		appendStringInfoChar(out, ',');
	*first = false;
	escape_json(out, name);
	appendStringInfoChar(out, ':');
}

/* A byte string as a hexadecimal JSON string, or null when absent. */
static void
put_hex(StringInfo out, const TkaBytes *b)
{
	if (b->data == NULL)
	{
		appendStringInfoString(out, "null");
		return;
	}
	appendStringInfoChar(out, '"');
	appendStringInfoString(out, LockHex(b->data, b->len));
	appendStringInfoChar(out, '"');
}

/* A hash as a hexadecimal JSON string. */
static void
put_hash(StringInfo out, const uint8 *hash)
{
	TkaBytes	b = {hash, TKA_HASH_LEN};

	put_hex(out, &b);
}

/* UTF-8 text as a JSON string in the database's encoding. */
static void
put_text(StringInfo out, const TkaBytes *t)
{
	size_t		start = 0;

	appendStringInfoChar(out, '"');
	/* NUL characters, which C strings and jsonb cannot hold, one by one */
	for (size_t i = 0; i <= t->len; i++)
	{
		if (i < t->len && t->data[i] != '\0')
			continue;
		if (i > start)
		{
			char	   *piece = pnstrdup((const char *) t->data + start, i - start);
			char	   *converted = pg_any_to_server(piece, i - start, PG_UTF8);
			StringInfoData quoted;

			initStringInfo(&quoted);
			escape_json(&quoted, converted);
			/* without escape_json's quotes */
			appendBinaryStringInfo(out, quoted.data + 1, quoted.len - 2);
		}
		if (i < t->len)
			appendStringInfoString(out, "\\\\u0000");
		start = i + 1;
	}
	appendStringInfoChar(out, '"');
}

/* "valid", and when not, "invalid_reason": what the core's check said. */
static void
put_validity(StringInfo out, bool *first, bool valid, const TkaError *err)
{
	field(out, first, "valid");
	appendStringInfoString(out, valid ? "true" : "false");
	if (!valid)
	{
		TkaBytes	reason = {(const uint8 *) err->reason, strlen(err->reason)};

		field(out, first, "invalid_reason");
		put_text(out, &reason);
	}
}

static void
put_uint(StringInfo out, uint64 value)
{
	appendStringInfo(out, UINT64_FORMAT, value);
}

/* A meta map as a JSON object (keys in canonical order). */
static void
put_meta(StringInfo out, const TkaMeta *meta)
{
	appendStringInfoChar(out, '{');
	for (int i = 0; i < meta->count; i++)
	{
		if (i > 0)
			appendStringInfoChar(out, ',');
		put_text(out, &meta->entries[i].key);
		appendStringInfoChar(out, ':');
		put_text(out, &meta->entries[i].value);
	}
	appendStringInfoChar(out, '}');
}

/* A key; "structure" only when it is what was decoded. */
static void
put_key(StringInfo out, const TkaKey *key, bool top)
{
	bool		first = true;
	TkaError	err;

	appendStringInfoChar(out, '{');
	if (top)
	{
		field(out, &first, "structure");
		appendStringInfoString(out, "\"key\"");
	}
	field(out, &first, "kind");
	appendStringInfoString(out, key->kind == TKA_KEY_ED25519 ? "\"ed25519\"" : "\"unknown\"");
	field(out, &first, "kind_number");
	put_uint(out, key->kind);
	field(out, &first, "votes");
	put_uint(out, key->votes);
	field(out, &first, "public_key");
	put_hex(out, &key->public_key);
	field(out, &first, "meta");
	put_meta(out, &key->meta);
	if (top)
	{
		put_validity(out, &first, TkaKeyValidate(key, &err) == TKA_OK, &err);
	}
	appendStringInfoChar(out, '}');
}

/* A list of 32-byte values or keys, or null (the reference tells them apart). */
static void
put_state(StringInfo out, const TkaState *state, bool top)
{
	bool		first = true;

	appendStringInfoChar(out, '{');
	if (top)
	{
		field(out, &first, "structure");
		appendStringInfoString(out, "\"state\"");
	}
	field(out, &first, "last_aum");
	put_hex(out, &state->last_hash);
	field(out, &first, "disablement_values");
	if (state->disablement_null)
		appendStringInfoString(out, "null");
	else
	{
		appendStringInfoChar(out, '[');
		for (int i = 0; i < state->ndisablement; i++)
		{
			if (i > 0)
				appendStringInfoChar(out, ',');
			put_hex(out, &state->disablement[i]);
		}
		appendStringInfoChar(out, ']');
	}
	field(out, &first, "keys");
	if (state->keys_null)
		appendStringInfoString(out, "null");
	else
	{
		appendStringInfoChar(out, '[');
		for (int i = 0; i < state->nkeys; i++)
		{
			CHECK_FOR_INTERRUPTS();
			if (i > 0)
				appendStringInfoChar(out, ',');
			put_key(out, &state->keys[i], false);
		}
		appendStringInfoChar(out, ']');
	}
	field(out, &first, "state_id1");
	put_uint(out, state->state_id1);
	field(out, &first, "state_id2");
	put_uint(out, state->state_id2);
	appendStringInfoChar(out, '}');
}

/* An AUM with its hashes and static validity. */
static void
put_aum(StringInfo out, const TkaAum *aum)
{
	bool		first = true;
	uint8		hash[TKA_HASH_LEN];
	TkaError	err;

	appendStringInfoChar(out, '{');
	field(out, &first, "structure");
	appendStringInfoString(out, "\"aum\"");
	field(out, &first, "kind");
	escape_json(out, TkaAumKindName(aum->kind));
	field(out, &first, "kind_number");
	put_uint(out, aum->kind);
	if (TkaAumHash(aum, hash, &err) != TKA_OK)
		LockRefuse(LOCK_AUM, &err, 0);
	field(out, &first, "hash");
	put_hash(out, hash);
	if (TkaAumSigHash(aum, hash, &err) != TKA_OK)
		LockRefuse(LOCK_AUM, &err, 0);
	field(out, &first, "sighash");
	put_hash(out, hash);
	field(out, &first, "parent");
	put_hex(out, &aum->parent);
	if (aum->has_key)
	{
		field(out, &first, "key");
		put_key(out, &aum->key, false);
	}
	if (aum->key_id.data != NULL)
	{
		field(out, &first, "key_id");
		put_hex(out, &aum->key_id);
	}
	if (aum->has_state)
	{
		field(out, &first, "state");
		put_state(out, &aum->state, false);
	}
	if (aum->has_votes)
	{
		field(out, &first, "votes");
		put_uint(out, aum->votes);
	}
	if (aum->meta.count > 0)
	{
		field(out, &first, "meta");
		put_meta(out, &aum->meta);
	}
	field(out, &first, "signatures");
	appendStringInfoChar(out, '[');
	for (int i = 0; i < aum->nsignatures; i++)
	{
		bool		sfirst = true;

		CHECK_FOR_INTERRUPTS();
		if (i > 0)
			appendStringInfoChar(out, ',');
		appendStringInfoChar(out, '{');
		field(out, &sfirst, "key_id");
		put_hex(out, &aum->signatures[i].key_id);
		field(out, &sfirst, "signature");
		put_hex(out, &aum->signatures[i].signature);
		appendStringInfoChar(out, '}');
	}
	appendStringInfoChar(out, ']');
	put_validity(out, &first, TkaAumValidate(aum, &err) == TKA_OK, &err);
	appendStringInfoChar(out, '}');
}

/*
 * A node key signature and those it nests (at most TKA_MAX_DEPTH, as the
 * decoder allows); the authorizing key, found without verifying anything,
 * at the top only.
 */
static void
put_signature(StringInfo out, const TkaNodeKeySig *sig, bool top)
{
	bool		first = true;
	uint8		hash[TKA_HASH_LEN];
	TkaError	err;

	check_stack_depth();
	appendStringInfoChar(out, '{');
	if (top)
	{
		field(out, &first, "structure");
		appendStringInfoString(out, "\"signature\"");
	}
	field(out, &first, "kind");
	escape_json(out, TkaSigKindName(sig->kind));
	field(out, &first, "kind_number");
	put_uint(out, sig->kind);
	if (sig->pubkey.data != NULL)
	{
		field(out, &first, "pubkey");
		put_hex(out, &sig->pubkey);
		if (sig->pubkey.len == TKA_NODE_PUB_LEN &&
			sig->pubkey.data[0] == 'n' && sig->pubkey.data[1] == 'p')
		{
			field(out, &first, "node_key");
			appendStringInfo(out, "\"nodekey:%s\"",
							 LockHex(sig->pubkey.data + 2, TKA_NODE_KEY_LEN));
		}
	}
	if (sig->key_id.data != NULL)
	{
		field(out, &first, "key_id");
		put_hex(out, &sig->key_id);
	}
	if (sig->signature.data != NULL)
	{
		field(out, &first, "signature");
		put_hex(out, &sig->signature);
	}
	if (sig->nested != NULL)
	{
		field(out, &first, "nested");
		put_signature(out, sig->nested, false);
	}
	if (sig->wrapping_pubkey.data != NULL)
	{
		field(out, &first, "wrapping_public_key");
		put_hex(out, &sig->wrapping_pubkey);
	}
	if (TkaNodeKeySigHash(sig, hash, &err) != TKA_OK)
		LockRefuse(LOCK_SIGNATURE, &err, 0);
	field(out, &first, "sighash");
	put_hash(out, hash);
	if (top)
	{
		TkaBytes	key_id;

		field(out, &first, "authorizing_key");
		if (TkaNodeKeySigAuthorizingKey(sig, &key_id, &err) == TKA_OK)
			put_hex(out, &key_id);
		else
			appendStringInfoString(out, "null");
	}
	appendStringInfoChar(out, '}');
}

/* The structure named by lock_decode's second argument. */
static LockStructure
structure_named(text *name)
{
	char	   *s = text_to_cstring(name);

	if (strcmp(s, "aum") == 0)
		return LOCK_AUM;
	if (strcmp(s, "signature") == 0)
		return LOCK_SIGNATURE;
	if (strcmp(s, "key") == 0)
		return LOCK_KEY;
	if (strcmp(s, "state") == 0)
		return LOCK_STATE;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid Tailnet Lock structure \"%s\"", s),
			 errhint("The structures are aum, signature, key and state.")));
	pg_unreachable();
}

/*
 * auth_keys.lock_decode(data bytea, structure text DEFAULT NULL)
 *		RETURNS jsonb
 *		The structure named, or with NULL an AUM if data is one, else a node
 *		key signature.  Anyone may call it.
 */
Datum
auth_keys_lock_decode(PG_FUNCTION_ARGS)
{
	bytea	   *data;
	const uint8 *bytes;
	size_t		len;
	StringInfoData out;
	TkaError	err;
	union
	{
		TkaAum		aum;
		TkaNodeKeySig sig;
		TkaKey		key;
		TkaState	state;
	}			v;
	LockStructure structure;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	data = PG_GETARG_BYTEA_PP(0);
	bytes = (const uint8 *) VARDATA_ANY(data);
	len = VARSIZE_ANY_EXHDR(data);

	if (PG_ARGISNULL(1))
	{
		TkaError	as_sig;

		if (LockDecode(LOCK_AUM, bytes, len, &v.aum, &err) == TKA_OK)
			structure = LOCK_AUM;
		else if (LockDecode(LOCK_SIGNATURE, bytes, len, &v.sig, &as_sig) == TKA_OK)
			structure = LOCK_SIGNATURE;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("data is neither an authority update nor a node key signature"),
					 errdetail("As an authority update: %s As a node key signature: %s",
							   err.reason, as_sig.reason)));
	}
	else
	{
		structure = structure_named(PG_GETARG_TEXT_PP(1));
		if (LockDecode(structure, bytes, len, &v, &err) != TKA_OK)
			LockRefuse(structure, &err, 0);
	}

	initStringInfo(&out);
	switch (structure)
	{
		case LOCK_AUM:
			put_aum(&out, &v.aum);
			break;
		case LOCK_SIGNATURE:
			put_signature(&out, &v.sig, true);
			break;
		case LOCK_KEY:
			put_key(&out, &v.key, true);
			break;
		case LOCK_STATE:
			put_state(&out, &v.state, true);
			break;
	}
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
}
