/*-------------------------------------------------------------------------
 *
 * auth_keys.c
 *	  Module entry point: the library magic, the auth_keys.* settings and
 *	  the registration of the transaction callbacks.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/auth_keys.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "auth_keys.h"
#include "event.h"
#include "event_partition.h"
#include "key_format.h"

PG_MODULE_MAGIC;

char	   *auth_keys_key_prefix = NULL;
int64		auth_keys_ephemeral_timeout_usecs = 30 * USECS_PER_MINUTE;
int64		auth_keys_invalid_retention_usecs = 90 * USECS_PER_DAY;
int			auth_keys_sweep_batch_delay_ms = 400;
int			auth_keys_oauth_token_lifetime_s = 3600;

static char *ephemeral_timeout_text = NULL;
static char *invalid_retention_text = NULL;

void		_PG_init(void);

/*
 * Interval settings are strings that must parse as a positive interval.
 * The check hook parses without throwing (a check hook must not ereport),
 * using the same decoder interval_in uses, and hands the length in
 * microseconds to the assign hook through "extra".
 */
static bool
check_interval_setting(char **newval, void **extra, GucSource source)
{
	char		workbuf[256];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	struct pg_itm_in itm_in;
	Interval	interval;
	int64	   *usecs;

	if (*newval == NULL ||
		ParseDateTime(*newval, workbuf, sizeof(workbuf), field, ftype,
					  MAXDATEFIELDS, &nf) != 0 ||
		(DecodeInterval(field, ftype, nf, INTERVAL_FULL_RANGE,
						&dtype, &itm_in) != 0 &&
		 DecodeISO8601Interval(*newval, &dtype, &itm_in) != 0) ||
		dtype != DTK_DELTA ||
		itmin2interval(&itm_in, &interval) != 0)
	{
		GUC_check_errdetail("The value must be an interval, such as \"30 minutes\" or \"90 days\".");
		return false;
	}
	if (IntervalAbsoluteUsecs(&interval) <= 0)
	{
		GUC_check_errdetail("The interval must be longer than zero.");
		return false;
	}

	usecs = malloc(sizeof(int64));	/* GUC extras are free()d */
	if (usecs == NULL)
		return false;
	*usecs = IntervalAbsoluteUsecs(&interval);
	*extra = usecs;
	return true;
}

static void
assign_ephemeral_timeout(const char *newval, void *extra)
{
	auth_keys_ephemeral_timeout_usecs = *(int64 *) extra;
}

static void
assign_invalid_retention(const char *newval, void *extra)
{
	auth_keys_invalid_retention_usecs = *(int64 *) extra;
}

/*
 * The key prefix is part of every key handed out, so it is held to the
 * characters the key parser accepts: a lower-case letter, then up to 15
 * lower-case letters or digits.
 */
static bool
check_key_prefix(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || !AuthKeyPrefixIsValid(*newval, strlen(*newval)))
	{
		GUC_check_errdetail("The prefix must be a lower-case letter followed by at most %d lower-case letters or digits.",
							AUTH_KEY_PREFIX_MAX - 1);
		return false;
	}
	return true;
}

/*
 * IntervalAbsoluteUsecs
 *		Length of an interval in microseconds (see auth_keys.h).
 */
int64
IntervalAbsoluteUsecs(const Interval *interval)
{
	int128		total;

	total = (int128) interval->time +
		(int128) interval->day * USECS_PER_DAY +
		(int128) interval->month * DAYS_PER_MONTH * USECS_PER_DAY;
	if (total > PG_INT64_MAX)
		return PG_INT64_MAX;
	if (total < PG_INT64_MIN)
		return PG_INT64_MIN;
	return (int64) total;
}

/*
 * Module load: define the settings, reserve the auth_keys.* prefix so that
 * a misspelled setting is reported, and hook the transaction callbacks that
 * keep the actor transaction-scoped.
 */
void
_PG_init(void)
{
	DefineCustomStringVariable("auth_keys.key_prefix",
							   "First part of every authentication key issued.",
							   "Keys issued under an earlier prefix stay valid.",
							   &auth_keys_key_prefix,
							   "pgak",
							   PGC_SUSET,
							   0,
							   check_key_prefix, NULL, NULL);

	DefineCustomStringVariable("auth_keys.ephemeral_inactivity_timeout",
							   "How long an ephemeral node may stay unseen before a sweep removes it.",
							   NULL,
							   &ephemeral_timeout_text,
							   "30 minutes",
							   PGC_SUSET,
							   0,
							   check_interval_setting,
							   assign_ephemeral_timeout, NULL);

	DefineCustomStringVariable("auth_keys.invalid_key_retention",
							   "How long revoked, expired and used keys stay listed before a sweep purges them.",
							   NULL,
							   &invalid_retention_text,
							   "90 days",
							   PGC_SUSET,
							   0,
							   check_interval_setting,
							   assign_invalid_retention, NULL);

	DefineCustomIntVariable("auth_keys.sweep_batch_delay",
							"How long a sweep rests after each full batch.",
							"Like vacuum_cost_delay: a long sweep leaves the CPU to registrations. 0 does not rest.",
							&auth_keys_sweep_batch_delay_ms,
							400, 0, 10000,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("auth_keys.oauth_token_lifetime",
							"How long an OAuth access token from oauth_token lives.",
							"One hour, the most; shorter only for tests and for platforms that want it.",
							&auth_keys_oauth_token_lifetime_s,
							3600, 1, 3600,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	EventDefineSettings();
	EventPartitionDefineSettings();

	MarkGUCPrefixReserved("auth_keys");

	ActorRegisterCallbacks();
}

PG_FUNCTION_INFO_V1(auth_keys_invalid_key_retention);

/*
 * auth_keys.invalid_key_retention() RETURNS interval
 *		The auth_keys.invalid_key_retention setting, for the views.
 */
Datum
auth_keys_invalid_key_retention(PG_FUNCTION_ARGS)
{
	Interval   *result = palloc0(sizeof(Interval));

	result->time = auth_keys_invalid_retention_usecs;
	PG_RETURN_INTERVAL_P(result);
}
