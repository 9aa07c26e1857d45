/*-------------------------------------------------------------------------
 *
 * auth_keys.h
 *	  Settings and declarations shared by the whole auth_keys module.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/auth_keys.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef AUTH_KEYS_H
#define AUTH_KEYS_H

#include "datatype/timestamp.h"

/* auth_keys.key_prefix: the first part of every key this server issues */
extern char *auth_keys_key_prefix;

/* auth_keys.ephemeral_inactivity_timeout, in microseconds */
extern int64 auth_keys_ephemeral_timeout_usecs;

/* auth_keys.invalid_key_retention, in microseconds */
extern int64 auth_keys_invalid_retention_usecs;

/* auth_keys.sweep_batch_delay, in milliseconds */
extern int	auth_keys_sweep_batch_delay_ms;

/* auth_keys.oauth_token_lifetime, in seconds (at most one hour) */
extern int	auth_keys_oauth_token_lifetime_s;

/*
 * Length of an interval in microseconds, counting a day as 24 hours and a
 * month as 30 days, as interval comparison does.  Key and node key expiry
 * are absolute durations: a key made for "90 days" lives exactly 90 * 24
 * hours, whatever daylight saving time does meanwhile.
 */
extern int64 IntervalAbsoluteUsecs(const Interval *interval);

#endif							/* AUTH_KEYS_H */
