/*-------------------------------------------------------------------------
 *
 * name_rules.c
 *	  The rules for tailnet names, logins and hostnames: one definition,
 *	  for the functions and the tables' CHECK constraints alike.
 *
 * A tailnet name is 1 to 100 bytes and a login 1 to 255 bytes, neither with
 * a space, a control character or an invisible one; a login may not start
 * with "tag:", "autogroup:", "role:" or "client:", which name other things.  A
 * hostname is 1 to 255 characters without a control character.
 *
 * The characters are judged as Unicode code points, whatever the database
 * encoding, so that the rules are the same in every database: a UTF8
 * database's text is decoded; a LATIN1 or SQL_ASCII database's bytes are
 * their code points (ISO 8859-1 is the first 256 of Unicode, and SQL_ASCII
 * gives bytes no other meaning); any other encoding is converted to UTF-8
 * first.  So U+00A0 (no-break space) and U+0085 (next line) are refused
 * everywhere, not only where a locale happens to classify them.
 *
 * Spaces are every Unicode space separator; control characters C0, DEL and
 * C1, and the line and paragraph separators; invisible characters those
 * that render as nothing and make look-alike names: the soft hyphen, the
 * zero-width and direction marks, the word joiners and invisible
 * operators, the Hangul fillers, variation selectors and the byte order
 * mark.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/name_rules.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "name_rules.h"

PG_FUNCTION_INFO_V1(auth_keys_tailnet_name_is_valid);
PG_FUNCTION_INFO_V1(auth_keys_login_is_valid);
PG_FUNCTION_INFO_V1(auth_keys_hostname_is_valid);

#define TAILNET_NAME_MAX_BYTES	100
#define LOGIN_MAX_BYTES			255
#define HOSTNAME_MAX_CHARS		255

static bool
is_control(pg_wchar c)
{
	return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) ||
		c == 0x2028 || c == 0x2029;
}

static bool
is_space(pg_wchar c)
{
	return c == 0x20 || c == 0xA0 || c == 0x1680 ||
		(c >= 0x2000 && c <= 0x200A) || c == 0x202F || c == 0x205F ||
		c == 0x3000;
}

static bool
is_invisible(pg_wchar c)
{
	return c == 0xAD || c == 0x34F || c == 0x61C || c == 0x115F || c == 0x1160 ||
		c == 0x180E || (c >= 0x200B && c <= 0x200F) ||
		(c >= 0x202A && c <= 0x202E) || (c >= 0x2060 && c <= 0x206F) ||
		c == 0x3164 || (c >= 0xFE00 && c <= 0xFE0F) || c == 0xFEFF ||
		c == 0xFFA0 || (c >= 0xE0000 && c <= 0xE0FFF);
}

/*
 * What a string holds, as code points: whether any is refused by "kind",
 * and how many there are.  See the file header for the encodings.
 */
typedef enum CharRule
{
	NO_CONTROL,					/* hostnames */
	NO_CONTROL_SPACE_INVISIBLE	/* names and logins */
} CharRule;

static bool
chars_allowed(const char *str, int len, CharRule rule, int *nchars)
{
	int			encoding = GetDatabaseEncoding();
	const unsigned char *s = (const unsigned char *) str;
	char	   *converted = NULL;
	int			count = 0;
	bool		allowed = true;

	if (encoding != PG_UTF8 && encoding != PG_LATIN1 && encoding != PG_SQL_ASCII)
	{
		converted = pg_server_to_any(str, len, PG_UTF8);
		if (converted != str)
		{
			s = (const unsigned char *) converted;
			len = strlen(converted);
		}
		encoding = PG_UTF8;
	}

	for (int i = 0; i < len && allowed;)
	{
		pg_wchar	c;
		int			width = 1;

		CHECK_FOR_INTERRUPTS();
		if (encoding == PG_UTF8 && s[i] >= 0x80)
		{
			width = pg_utf_mblen(s + i);
			if (width > len - i || !pg_utf8_islegal(s + i, width))
				return false;	/* not text of this encoding */
			c = utf8_to_unicode(s + i);
		}
		else
			c = s[i];
		i += width;
		count++;
		allowed = !is_control(c) &&
			(rule == NO_CONTROL || (!is_space(c) && !is_invisible(c)));
	}
	if (converted != NULL && converted != str)
		pfree(converted);
	*nchars = count;
	return allowed;
}

/* The rule of tailnet names; see the file header. */
bool
TailnetNameIsValid(const char *name, int len)
{
	int			nchars;

	return len >= 1 && len <= TAILNET_NAME_MAX_BYTES &&
		chars_allowed(name, len, NO_CONTROL_SPACE_INVISIBLE, &nchars);
}

/* The rule of logins; see the file header. */
bool
LoginIsValid(const char *login, int len)
{
	int			nchars;

	if (len < 1 || len > LOGIN_MAX_BYTES ||
		!chars_allowed(login, len, NO_CONTROL_SPACE_INVISIBLE, &nchars))
		return false;
	return !((len >= 4 && strncmp(login, "tag:", 4) == 0) ||
			 (len >= 10 && strncmp(login, "autogroup:", 10) == 0) ||
			 (len >= 5 && strncmp(login, "role:", 5) == 0) ||
			 (len >= 7 && strncmp(login, "client:", 7) == 0));
}

/* The rule of hostnames; see the file header. */
bool
HostnameIsValid(const char *hostname, int len)
{
	int			nchars;

	return chars_allowed(hostname, len, NO_CONTROL, &nchars) &&
		nchars >= 1 && nchars <= HOSTNAME_MAX_CHARS;
}

/*
 * RequireTailnetName, RequireLogin, RequireHostname
 *		Error (22023) unless a value obeys its rule, saying which part of the
 *		rule it breaks.
 */
void
RequireTailnetName(const char *name)
{
	int			len = strlen(name);

	if (len < 1 || len > TAILNET_NAME_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a tailnet name must have 1 to %d bytes", TAILNET_NAME_MAX_BYTES)));
	if (!TailnetNameIsValid(name, len))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a tailnet name must not contain spaces, control characters or invisible characters")));
}

void
RequireLogin(const char *login)
{
	int			len = strlen(login);
	int			nchars;

	if (len < 1 || len > LOGIN_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a login must have 1 to %d bytes", LOGIN_MAX_BYTES)));
	if (!chars_allowed(login, len, NO_CONTROL_SPACE_INVISIBLE, &nchars))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a login must not contain spaces, control characters or invisible characters")));
	if (!LoginIsValid(login, len))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a login must not start with \"tag:\", \"autogroup:\", \"role:\" or \"client:\""),
				 errdetail("Those prefixes name tags, groups, database roles and OAuth clients.")));
}

void
RequireHostname(text *hostname)
{
	int			nchars;

	if (hostname == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hostname must not be null")));
	if (!chars_allowed(VARDATA_ANY(hostname), VARSIZE_ANY_EXHDR(hostname),
					   NO_CONTROL, &nchars))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hostname must not contain control characters")));
	if (nchars < 1 || nchars > HOSTNAME_MAX_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("hostname must have 1 to %d characters", HOSTNAME_MAX_CHARS)));
}

/*
 * auth_keys.tailnet_name_is_valid(name text), login_is_valid(login text),
 * hostname_is_valid(hostname text) RETURNS boolean
 *		The rules, for the CHECK constraints of tailnets, members and nodes.
 */
Datum
auth_keys_tailnet_name_is_valid(PG_FUNCTION_ARGS)
{
	text	   *name = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(TailnetNameIsValid(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name)));
}

Datum
auth_keys_login_is_valid(PG_FUNCTION_ARGS)
{
	text	   *login = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(LoginIsValid(VARDATA_ANY(login), VARSIZE_ANY_EXHDR(login)));
}

Datum
auth_keys_hostname_is_valid(PG_FUNCTION_ARGS)
{
	text	   *hostname = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(HostnameIsValid(VARDATA_ANY(hostname), VARSIZE_ANY_EXHDR(hostname)));
}
