/*-------------------------------------------------------------------------
 *
 * race.c
 *	  Races at scale: N clients present one key at the same moment.
 *
 * A libpq client that checks the promise of register_node under load: of N
 * connections presenting the same key at once, exactly one enrols with a
 * one-off key (exactly M with a key of max_uses M, N > M), and every other
 * one is refused with SQLSTATE 28000 and the detail "The authentication key
 * was already used." -- never a serialization failure (40001), a deadlock
 * (40P01), "invalid" or anything else.  After each configuration the tables
 * must agree with what the clients saw: every key's uses equal its
 * successes, the nodes are exactly the winners' and 'key.used' events name
 * exactly those nodes.
 *
 * Usage: race [-t TRIALS] [-b BARRIERS] [-d CONNINFO] [-r ROLE] [-v] CONFIG...
 *	  CONFIG is N (N clients race for one-off keys) or N:M (N clients race
 *	  for reusable keys with max_uses M).  CONNINFO (default: the PG*
 *	  environment) names a database with the extension installed, reached
 *	  as a superuser; the clients log in there as ROLE (default
 *	  auth_keys_race_node), which must exist and is granted the node tier.
 *	  BARRIERS lists the ways to start a race (below), used in turn; all
 *	  three by default.
 *
 * Every trial uses a fresh key, created up front in batches.  The trials
 * cycle through three ways of starting the race:
 *
 *	free	each client is sent its call in turn, as fast as libpq goes;
 *	gate	each client first waits for a shared advisory lock that the
 *			admin connection holds; once all wait, the admin lets go and all
 *			start register_node at the same instant;
 *	row		the admin connection holds the key's row lock (FOR NO KEY
 *			UPDATE) until every client is queued behind it, so every client
 *			has proven the key and reaches the spending UPDATE while it is
 *			still valid: the losers are refused by the UPDATE's re-check of
 *			the row, the path that keeps a key from being spent twice.
 *
 * The admin knows that the clients are waiting from pg_locks, not from a
 * timer, so the barriers hold on a slow machine too.  Clients run in READ
 * COMMITTED, which register_node documents as the level where a lost race
 * is "already used".  Exit status: 0 when no violation was seen, 1 when
 * one was, 2 on a usage or set-up error.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * test/race/race.c
 *
 *-------------------------------------------------------------------------
 */
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libpq-fe.h"

#define MAX_CLIENTS		256
#define KEY_BATCH		100
#define MAX_OUTCOMES	32
#define MAX_REPORTED	20
#define BARRIER_LIMIT_S	30.0

#define USED_DETAIL		"The authentication key was already used."

/* the advisory lock of the gate barrier */
#define GATE_LOCK		"7013297450315309569"

typedef enum Barrier
{
	BARRIER_FREE,
	BARRIER_GATE,
	BARRIER_ROW,
	N_BARRIERS
} Barrier;

static const char *const barrier_names[N_BARRIERS] = {"free", "gate", "row"};

/* One configuration: N clients, keys of M uses (M = 1: one-off). */
typedef struct Config
{
	int			clients;
	int			max_uses;
	bool		reusable;
} Config;

/* A key made for one trial. */
typedef struct TrialKey
{
	char		key_id[16];
	char		key[128];
} TrialKey;

/* A registration that succeeded, as the client saw it. */
typedef struct Success
{
	const char *key_id;
	char		node_id[24];
	char		node_key[80];
} Success;

/* How many results of one kind (an SQLSTATE and a short detail). */
typedef struct Outcome
{
	char		sqlstate[6];
	char		what[48];
	long		count;
} Outcome;

typedef struct Tally
{
	long		successes;
	long		losers;
	long		violations;
	long		table_mismatches;
	long		trials_by_barrier[N_BARRIERS];
	long		violations_by_barrier[N_BARRIERS];
	long		barrier_timeouts;
	int			n_outcomes;
	Outcome		outcomes[MAX_OUTCOMES];
} Tally;

static const char *conninfo = "";
static const char *client_role = "auth_keys_race_node";
static int	trials = 1000;
static bool verbose = false;
static Barrier barrier_cycle[N_BARRIERS] = {BARRIER_FREE, BARRIER_GATE, BARRIER_ROW};
static int	n_cycle = N_BARRIERS;
static char run_id[17];
static long reported;

static PGconn *admin;
static PGconn *clients[MAX_CLIENTS];
static int	client_pids[MAX_CLIENTS];
static char pid_array[MAX_CLIENTS * 12 + 3];

static void
die(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	fputs("race: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Print one violation (the first few only, unless verbose). */
static void
report(const char *fmt,...)
{
	va_list		ap;

	if (!verbose && reported >= MAX_REPORTED)
	{
		if (reported++ == MAX_REPORTED)
			fprintf(stderr, "race: further violations not shown (-v shows all)\n");
		return;
	}
	reported++;
	va_start(ap, fmt);
	fputs("race: violation: ", stderr);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Run a statement that must succeed on the admin connection. */
static PGresult *
admin_exec(const char *sql, int nparams, const char *const *params,
		   ExecStatusType expected)
{
	PGresult   *res = PQexecParams(admin, sql, nparams, NULL, params,
								   NULL, NULL, 0);

	if (PQresultStatus(res) != expected)
		die("%s\n  failed: %s", sql, PQerrorMessage(admin));
	return res;
}

static void
admin_command(const char *sql, int nparams, const char *const *params)
{
	PQclear(admin_exec(sql, nparams, params, PGRES_COMMAND_OK));
}

static PGconn *
connect_as(const char *user)
{
	const char *keywords[] = {"dbname", "user", "application_name", NULL};
	const char *values[] = {conninfo, user, "auth_keys_race", NULL};
	PGconn	   *conn = PQconnectdbParams(keywords, values, 1);

	if (PQstatus(conn) != CONNECTION_OK)
		die("cannot connect%s%s: %s", user ? " as " : "", user ? user : "",
			PQerrorMessage(conn));
	return conn;
}

/* A run id of 16 hex digits: node keys and tailnet names are unique. */
static void
make_run_id(void)
{
	unsigned char bytes[8];
	int			fd = open("/dev/urandom", O_RDONLY);
	int			i;

	if (fd < 0 || read(fd, bytes, sizeof(bytes)) != sizeof(bytes))
		die("cannot read /dev/urandom");
	close(fd);
	for (i = 0; i < 8; i++)
		sprintf(run_id + 2 * i, "%02x", bytes[i]);
}

/*
 * Open the clients, as the node-facing role, in READ COMMITTED, each in
 * pipeline mode from then on.
 */
static void
open_clients(int n)
{
	const char *grant[] = {client_role};
	char	   *p = pid_array;
	int			i;

	PQclear(admin_exec("SELECT auth_keys.grant_tier('node', $1)", 1, grant,
					   PGRES_TUPLES_OK));
	p += sprintf(p, "{");
	for (i = 0; i < n; i++)
	{
		PGresult   *res;

		clients[i] = connect_as(client_role);
		res = PQexec(clients[i],
					 "SET default_transaction_isolation = 'read committed';"
					 "SET statement_timeout = '60s'");
		if (PQresultStatus(res) != PGRES_COMMAND_OK)
			die("client set-up failed: %s", PQerrorMessage(clients[i]));
		PQclear(res);
		client_pids[i] = PQbackendPID(clients[i]);
		p += sprintf(p, "%s%d", i ? "," : "", client_pids[i]);
		if (PQenterPipelineMode(clients[i]) != 1)
			die("cannot enter pipeline mode: %s", PQerrorMessage(clients[i]));
	}
	sprintf(p, "}");
}

/* Make the tailnet and its owner for one configuration. */
static void
make_tailnet(int cfg_index, const Config *cfg, char *tailnet, char *tailnet_id)
{
	const char *params[1];
	PGresult   *res;

	sprintf(tailnet, "race-%s-%d-n%d-m%d", run_id, cfg_index, cfg->clients,
			cfg->max_uses);
	params[0] = tailnet;
	res = admin_exec("SELECT auth_keys.create_tailnet($1)", 1, params,
					 PGRES_TUPLES_OK);
	strcpy(tailnet_id, PQgetvalue(res, 0, 0));
	PQclear(res);
	PQclear(admin_exec("SELECT auth_keys.set_member($1, 'racer', 'owner')",
					   1, params, PGRES_TUPLES_OK));
}

/* Create every trial's key up front, KEY_BATCH keys per transaction. */
static TrialKey *
make_keys(const Config *cfg, const char *tailnet)
{
	TrialKey   *keys = calloc(trials, sizeof(TrialKey));
	char		max_uses[16];
	char		count[16];
	int			done = 0;

	if (keys == NULL)
		die("out of memory");
	sprintf(max_uses, "%d", cfg->max_uses);
	while (done < trials)
	{
		int			batch = trials - done < KEY_BATCH ? trials - done : KEY_BATCH;
		const char *act_as[] = {tailnet};
		const char *create[] = {count, cfg->reusable ? "true" : "false",
		cfg->reusable ? max_uses : NULL};
		PGresult   *res;
		int			i;

		sprintf(count, "%d", batch);
		admin_command("BEGIN", 0, NULL);
		PQclear(admin_exec("SELECT auth_keys.act_as($1, 'racer')", 1, act_as,
						   PGRES_TUPLES_OK));
		res = admin_exec("SELECT k.key_id, k.key"
						 "  FROM generate_series(1, $1::int) AS g,"
						 "       LATERAL auth_keys.create_key("
						 "           reusable => $2::boolean,"
						 "           max_uses => $3::int,"
						 "           description => 'race ' || g) AS k",
						 3, create, PGRES_TUPLES_OK);
		if (PQntuples(res) != batch)
			die("create_key made %d keys, not %d", PQntuples(res), batch);
		for (i = 0; i < batch; i++)
		{
			snprintf(keys[done + i].key_id, sizeof(keys[0].key_id), "%s",
					 PQgetvalue(res, i, 0));
			snprintf(keys[done + i].key, sizeof(keys[0].key), "%s",
					 PQgetvalue(res, i, 1));
		}
		PQclear(res);
		admin_command("COMMIT", 0, NULL);
		done += batch;
	}
	return keys;
}

/* Count a result of one kind. */
static void
count_outcome(Tally *tally, const char *sqlstate, const char *what)
{
	int			i;

	for (i = 0; i < tally->n_outcomes; i++)
		if (strcmp(tally->outcomes[i].sqlstate, sqlstate) == 0 &&
			strcmp(tally->outcomes[i].what, what) == 0)
			break;
	if (i == tally->n_outcomes)
	{
		if (i == MAX_OUTCOMES)
			i--;				/* lump the rarest together: still counted */
		else
			tally->n_outcomes++;
		snprintf(tally->outcomes[i].sqlstate, 6, "%s", sqlstate);
		snprintf(tally->outcomes[i].what, sizeof(tally->outcomes[i].what),
				 "%s", what);
	}
	tally->outcomes[i].count++;
}

/* A short name for an error's detail, for the summary. */
static const char *
detail_kind(const char *detail)
{
	if (detail == NULL || detail[0] == '\0')
		return "no-detail";
	if (strcmp(detail, USED_DETAIL) == 0)
		return "used";
	if (strstr(detail, "revoked"))
		return "revoked";
	if (strstr(detail, "expired"))
		return "expired";
	return "other-detail";
}

/*
 * Number of clients the barrier holds: those waiting for a lock.  Clients
 * whose connection has something to read have answered already (they
 * failed before reaching the barrier) and are counted as well, so that a
 * broken build cannot stall the run.
 */
static int
clients_held(int n)
{
	const char *params[] = {pid_array};
	PGresult   *res;
	int			held;
	int			i;

	res = admin_exec("SELECT count(DISTINCT pid) FROM pg_catalog.pg_locks"
					 " WHERE NOT granted AND pid = ANY ($1::int[])",
					 1, params, PGRES_TUPLES_OK);
	held = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	for (i = 0; i < n; i++)
	{
		struct pollfd pfd = {PQsocket(clients[i]), POLLIN, 0};

		if (poll(&pfd, 1, 0) > 0)
			held++;
	}
	return held;
}

/* Wait until all n clients are held; false after BARRIER_LIMIT_S. */
static bool
await_clients(int n)
{
	double		start = now_seconds();

	while (clients_held(n) < n)
	{
		if (now_seconds() - start > BARRIER_LIMIT_S)
			return false;
		usleep(200);
	}
	return true;
}

/*
 * Get the results of one client's pipeline: nqueries results, then the
 * sync.  results[] receives each query's result.
 */
static void
collect(PGconn *conn, int nqueries, PGresult **results)
{
	PGresult   *res;
	int			i;

	for (i = 0; i < nqueries; i++)
	{
		results[i] = PQgetResult(conn);
		if (results[i] == NULL)
			die("lost a result: %s", PQerrorMessage(conn));
		if ((res = PQgetResult(conn)) != NULL)
			die("unexpected extra result: %s", PQresStatus(PQresultStatus(res)));
	}
	res = PQgetResult(conn);
	if (res == NULL || PQresultStatus(res) != PGRES_PIPELINE_SYNC)
		die("pipeline out of step: %s", PQerrorMessage(conn));
	PQclear(res);
}

/*
 * Run one trial: every client presents the key with a node key of its own.
 * Records the successes and counts every result; returns the number of
 * violations.
 */
static long
run_trial(const Config *cfg, int cfg_index, int trial, Barrier barrier,
		  const TrialKey *key, Success *successes, long *n_successes,
		  Tally *tally)
{
	const int	n = cfg->clients;
	const char *key_param[] = {key->key_id};
	char		node_keys[MAX_CLIENTS][80];
	char		hostnames[MAX_CLIENTS][48];
	long		violations = 0;
	int			won = 0;
	int			i;

	if (barrier == BARRIER_GATE)
		PQclear(admin_exec("SELECT pg_advisory_lock(" GATE_LOCK ")", 0, NULL,
						   PGRES_TUPLES_OK));
	else if (barrier == BARRIER_ROW)
	{
		PGresult   *res;

		admin_command("BEGIN", 0, NULL);
		res = admin_exec("SELECT 1 FROM auth_keys.keys WHERE key_id = $1"
						 " FOR NO KEY UPDATE", 1, key_param, PGRES_TUPLES_OK);
		if (PQntuples(res) != 1)
			die("key %s not found", key->key_id);
		PQclear(res);
	}

	for (i = 0; i < n; i++)
	{
		const char *params[3];

		sprintf(node_keys[i], "nodekey:%s%08x%08x%08x%024x", run_id,
				cfg_index, trial, i, 0);
		sprintf(hostnames[i], "race-%d-%d-%d", cfg_index, trial, i);
		params[0] = key->key;
		params[1] = node_keys[i];
		params[2] = hostnames[i];
		if (barrier == BARRIER_GATE &&
			!PQsendQueryParams(clients[i],
							   "SELECT pg_advisory_xact_lock_shared(" GATE_LOCK ")",
							   0, NULL, NULL, NULL, NULL, 0))
			die("send failed: %s", PQerrorMessage(clients[i]));
		if (!PQsendQueryParams(clients[i],
							   "SELECT * FROM auth_keys.register_node($1, $2::auth_keys.nodekey, $3)",
							   3, NULL, params, NULL, NULL, 0) ||
			!PQpipelineSync(clients[i]))
			die("send failed: %s", PQerrorMessage(clients[i]));
	}

	if (barrier != BARRIER_FREE)
	{
		if (!await_clients(n))
		{
			tally->barrier_timeouts++;
			violations++;
			report("N=%d M=%d trial %d (%s): not all clients reached the barrier",
				   cfg->clients, cfg->max_uses, trial, barrier_names[barrier]);
		}
		if (barrier == BARRIER_GATE)
			PQclear(admin_exec("SELECT pg_advisory_unlock(" GATE_LOCK ")", 0,
							   NULL, PGRES_TUPLES_OK));
		else
			admin_command("COMMIT", 0, NULL);
	}

	for (i = 0; i < n; i++)
	{
		PGresult   *results[2];
		PGresult   *res;
		int			nq = barrier == BARRIER_GATE ? 2 : 1;

		collect(clients[i], nq, results);
		if (nq == 2)
		{
			if (PQresultStatus(results[0]) != PGRES_TUPLES_OK)
			{
				violations++;
				report("trial %d client %d: the gate lock failed: %s", trial, i,
					   PQresultErrorMessage(results[0]));
			}
			PQclear(results[0]);
		}
		res = results[nq - 1];

		if (PQresultStatus(res) == PGRES_TUPLES_OK)
		{
			if (PQntuples(res) != 1 || PQnfields(res) != 9 ||
				PQgetisnull(res, 0, 0) ||
				strcmp(PQgetvalue(res, 0, 8), "f") != 0)
			{
				violations++;
				count_outcome(tally, "-----", "odd-row");
				report("N=%d M=%d trial %d client %d: %d rows, reauthenticated=%s",
					   cfg->clients, cfg->max_uses, trial, i, PQntuples(res),
					   PQntuples(res) ? PQgetvalue(res, 0, 8) : "-");
			}
			else
			{
				Success    *s = &successes[(*n_successes)++];

				s->key_id = key->key_id;
				snprintf(s->node_id, sizeof(s->node_id), "%s",
						 PQgetvalue(res, 0, 0));
				snprintf(s->node_key, sizeof(s->node_key), "%s", node_keys[i]);
				won++;
				count_outcome(tally, "00000", "enrolled");
			}
		}
		else if (PQresultStatus(res) == PGRES_FATAL_ERROR)
		{
			const char *sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
			const char *detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);

			if (sqlstate == NULL)
				sqlstate = "?????";
			tally->losers++;
			count_outcome(tally, sqlstate, detail_kind(detail));
			if (strcmp(sqlstate, "28000") != 0 || detail == NULL ||
				strcmp(detail, USED_DETAIL) != 0)
			{
				violations++;
				report("N=%d M=%d trial %d (%s) client %d: %s %s%s%s",
					   cfg->clients, cfg->max_uses, trial,
					   barrier_names[barrier], i, sqlstate,
					   PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY),
					   detail ? " / " : "", detail ? detail : "");
			}
		}
		else
		{
			violations++;
			count_outcome(tally, "-----", PQresStatus(PQresultStatus(res)));
			report("trial %d client %d: %s", trial, i,
				   PQresStatus(PQresultStatus(res)));
		}
		PQclear(res);
	}

	if (won != cfg->max_uses)
	{
		violations++;
		report("N=%d M=%d trial %d (%s), key %s: %d successes, expected %d",
			   cfg->clients, cfg->max_uses, trial, barrier_names[barrier],
			   key->key_id, won, cfg->max_uses);
	}
	tally->successes += won;
	tally->trials_by_barrier[barrier]++;
	tally->violations_by_barrier[barrier] += violations;
	return violations;
}

/* Run one count query of the table check. */
static long
count_query(const char *sql, const char *tailnet_id)
{
	const char *params[] = {tailnet_id};
	PGresult   *res = admin_exec(sql, 1, params, PGRES_TUPLES_OK);
	long		n = atol(PQgetvalue(res, 0, 0));

	PQclear(res);
	return n;
}

/*
 * Check the tables against what the clients saw: load the successes into a
 * temporary table, then count each disagreement.  Returns their number.
 */
static long
check_tables(const Config *cfg, const char *tailnet_id,
			 const Success *successes, long n_successes)
{
	static const struct
	{
		const char *what;
		const char *sql;
	}			checks[] = {
		{
			"keys whose uses differ from their successes, or not used up",
			"SELECT count(*) FROM auth_keys.keys k"
			"  LEFT JOIN (SELECT key_id, count(*) AS n FROM race_expected"
			"              GROUP BY key_id) e USING (key_id)"
			" WHERE k.tailnet_id = $1"
			"   AND (k.uses IS DISTINCT FROM coalesce(e.n, 0)"
			"        OR k.used_up_at IS NULL)"
		},
		{
			"successes without their node, or nodes without a success",
			"SELECT count(*)"
			"  FROM (SELECT node_id, node_key::text, auth_key_id AS key_id"
			"          FROM auth_keys.nodes WHERE tailnet_id = $1) n"
			"  FULL JOIN race_expected e USING (node_id, node_key, key_id)"
			" WHERE n.node_id IS NULL OR e.node_id IS NULL"
		},
		{
			"nodes of the tailnet minus successes",
			"SELECT (SELECT count(*) FROM auth_keys.nodes WHERE tailnet_id = $1)"
			"       - (SELECT count(*) FROM race_expected)"
		},
		{
			"successes without their key.used event, or key.used events without a success",
			"SELECT count(*)"
			"  FROM (SELECT key_id, node_id FROM auth_keys.events"
			"         WHERE tailnet_id = $1 AND action = 'key.used') v"
			"  FULL JOIN race_expected e USING (key_id, node_id)"
			" WHERE v.node_id IS NULL OR e.node_id IS NULL"
		},
		{
			"key.used events minus successes",
			"SELECT (SELECT count(*) FROM auth_keys.events"
			"         WHERE tailnet_id = $1 AND action = 'key.used')"
			"       - (SELECT count(*) FROM race_expected)"
		},
		{
			"node.reauthenticated events",
			"SELECT count(*) FROM auth_keys.events"
			" WHERE tailnet_id = $1 AND action = 'node.reauthenticated'"
		},
	};
	PGresult   *res;
	long		mismatches = 0;
	long		i;

	admin_command("TRUNCATE race_expected", 0, NULL);
	res = PQexec(admin, "COPY race_expected FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN)
		die("COPY failed: %s", PQerrorMessage(admin));
	PQclear(res);
	for (i = 0; i < n_successes; i++)
	{
		char		line[160];
		int			len = snprintf(line, sizeof(line), "%s\t%s\t%s\n",
								   successes[i].key_id, successes[i].node_id,
								   successes[i].node_key);

		if (PQputCopyData(admin, line, len) != 1)
			die("COPY failed: %s", PQerrorMessage(admin));
	}
	if (PQputCopyEnd(admin, NULL) != 1)
		die("COPY failed: %s", PQerrorMessage(admin));
	res = PQgetResult(admin);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		die("COPY failed: %s", PQerrorMessage(admin));
	PQclear(res);
	while ((res = PQgetResult(admin)) != NULL)
		PQclear(res);

	for (i = 0; i < (long) (sizeof(checks) / sizeof(checks[0])); i++)
	{
		long		n = count_query(checks[i].sql, tailnet_id);

		if (n != 0)
		{
			mismatches += n < 0 ? -n : n;
			report("N=%d M=%d: tables: %s: %ld", cfg->clients, cfg->max_uses,
				   checks[i].what, n);
		}
	}
	return mismatches;
}

/* Run every trial of one configuration and print its summary line. */
static long
run_config(int cfg_index, const Config *cfg)
{
	char		tailnet[96];
	char		tailnet_id[24];
	TrialKey   *keys;
	Success    *successes;
	long		n_successes = 0;
	Tally		tally;
	double		start;
	double		elapsed;
	bool		first = true;
	int			trial;
	int			i;

	memset(&tally, 0, sizeof(tally));
	make_tailnet(cfg_index, cfg, tailnet, tailnet_id);
	keys = make_keys(cfg, tailnet);
	successes = calloc((size_t) trials * cfg->clients, sizeof(Success));
	if (successes == NULL)
		die("out of memory");

	start = now_seconds();
	for (trial = 0; trial < trials; trial++)
		tally.violations += run_trial(cfg, cfg_index, trial,
									  barrier_cycle[trial % n_cycle],
									  &keys[trial], successes, &n_successes,
									  &tally);
	elapsed = now_seconds() - start;

	tally.table_mismatches = check_tables(cfg, tailnet_id, successes,
										  n_successes);
	tally.violations += tally.table_mismatches;

	printf("N=%-3d M=%-3d trials=%d successes=%ld losers=%ld [",
		   cfg->clients, cfg->max_uses, trials, tally.successes, tally.losers);
	for (i = 0; i < tally.n_outcomes; i++)
		if (strcmp(tally.outcomes[i].sqlstate, "00000") != 0)
			printf("%s%s/%s=%ld", first ? "" : " ", tally.outcomes[i].sqlstate,
				   tally.outcomes[i].what, tally.outcomes[i].count),
				first = false;
	printf("] violations=%ld (table=%ld; free/gate/row=%ld/%ld/%ld) wall=%.2fs\n",
		   tally.violations, tally.table_mismatches,
		   tally.violations_by_barrier[BARRIER_FREE],
		   tally.violations_by_barrier[BARRIER_GATE],
		   tally.violations_by_barrier[BARRIER_ROW], elapsed);
	fflush(stdout);
	free(keys);
	free(successes);
	return tally.violations;
}

/* Parse -b: barrier names separated by commas, used in turn. */
static bool
parse_barriers(char *list)
{
	char	   *name;
	int			b;

	n_cycle = 0;
	for (name = strtok(list, ","); name; name = strtok(NULL, ","))
	{
		for (b = 0; b < N_BARRIERS; b++)
			if (strcmp(name, barrier_names[b]) == 0)
				break;
		if (b == N_BARRIERS || n_cycle == N_BARRIERS)
			return false;
		barrier_cycle[n_cycle++] = (Barrier) b;
	}
	return n_cycle > 0;
}

static void
usage(void)
{
	fprintf(stderr,
			"usage: race [-t TRIALS] [-b BARRIERS] [-d CONNINFO] [-r ROLE] [-v] CONFIG...\n"
			"  CONFIG: N (N clients, one-off keys) or N:M (N clients,\n"
			"  reusable keys with max_uses M < N); 2 <= N <= %d\n"
			"  BARRIERS: free, gate, row, in turn (default free,gate,row)\n",
			MAX_CLIENTS);
	exit(2);
}

int
main(int argc, char **argv)
{
	Config		configs[32];
	int			n_configs = 0;
	int			max_clients = 0;
	long		violations = 0;
	int			opt;
	int			i;

	while ((opt = getopt(argc, argv, "t:b:d:r:v")) != -1)
	{
		switch (opt)
		{
			case 't':
				trials = atoi(optarg);
				break;
			case 'b':
				if (!parse_barriers(optarg))
					usage();
				break;
			case 'd':
				conninfo = optarg;
				break;
			case 'r':
				client_role = optarg;
				break;
			case 'v':
				verbose = true;
				break;
			default:
				usage();
		}
	}
	if (trials < 1 || optind >= argc)
		usage();
	for (i = optind; i < argc; i++)
	{
		Config	   *cfg = &configs[n_configs];
		char	   *colon;

		if (n_configs == 32)
			usage();
		cfg->clients = atoi(argv[i]);
		colon = strchr(argv[i], ':');
		cfg->reusable = colon != NULL;
		cfg->max_uses = colon ? atoi(colon + 1) : 1;
		if (cfg->clients < 2 || cfg->clients > MAX_CLIENTS ||
			cfg->max_uses < 1 || cfg->max_uses >= cfg->clients)
			usage();
		if (cfg->clients > max_clients)
			max_clients = cfg->clients;
		n_configs++;
	}

	make_run_id();
	admin = connect_as(NULL);
	admin_command("CREATE TEMP TABLE race_expected"
				  " (key_id text, node_id bigint, node_key text)", 0, NULL);
	open_clients(max_clients);
	printf("race: %d configurations, %d trials each, barriers", n_configs, trials);
	for (i = 0; i < n_cycle; i++)
		printf("%s%s", i ? "/" : " ", barrier_names[barrier_cycle[i]]);
	printf(" in turn\n");
	fflush(stdout);
	for (i = 0; i < n_configs; i++)
		violations += run_config(i, &configs[i]);

	for (i = 0; i < max_clients; i++)
		PQfinish(clients[i]);
	PQfinish(admin);
	printf("race: %ld violations\n", violations);
	return violations == 0 ? 0 : 1;
}
