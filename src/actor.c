/*-------------------------------------------------------------------------
 *
 * actor.c
 *	  The actor: the tailnet member on whose behalf the current transaction
 *	  acts.
 *
 * There are two ways to have an actor.  An operator calls act_as(tailnet,
 * login), which holds the member in this backend's memory until the end of
 * the transaction; or a member is mapped to a database role with
 * set_member(db_role => ...), and that role acts as the member whenever no
 * act_as is in force.  The role is the one in effect outside any function
 * (session user or SET ROLE), so a SECURITY DEFINER function in between
 * does not change who is acting.
 *
 * Nothing here lives in a GUC: SET cannot forge an actor, and a transaction
 * callback wipes it at commit and abort, so a transaction-pooled connection
 * never hands it to the next client.  Rolling back to a savepoint taken
 * before act_as undoes the act_as and brings back the actor before it.
 *
 * Membership changes take effect at once.  Every actor function resolves
 * its member afresh, reading the row FOR SHARE: under READ COMMITTED it
 * acts on the member as committed when it runs (waiting for a change in
 * progress), and under REPEATABLE READ or SERIALIZABLE a member changed
 * since the transaction's snapshot is a serialization failure, not a stale
 * grant.  The share lock holds until the transaction ends, so removing or
 * changing a member waits for the member's transactions that have already
 * acted: whatever they did (keys they made) is committed by then, and
 * remove_member and set_member see it.  Row-level security, which must not
 * lock or write, reads the member without a lock, once per statement.
 *
 * A member is mapped to a database role by the role's OID (1.1; a 1.0
 * database still stores the role's name), so a role dropped and created
 * again under the same name is not the member.
 *
 * The actor may also be an OAuth client, named by act_as_token with an
 * access token (oauth_actor.c).  It is resolved afresh in the same way,
 * with its client row read FOR SHARE: a client revoked, or a token expired,
 * since act_as_token is refused at the next call.  A client holds no
 * member role: ActorRequire refuses it, and only the functions that its
 * scopes concern ask for it with ActorRequireScoped.  For row-level
 * security it is no member either (actor_tailnet_id and actor_login are
 * NULL); the views its scopes open read actor_client_tailnet_id.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/actor.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_attribute.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "parser/parse_func.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/timestamp.h"

#include "actor.h"
#include "arguments.h"
#include "delegate.h"
#include "oauth_actor.h"
#include "query.h"
#include "schema.h"

PG_FUNCTION_INFO_V1(auth_keys_act_as);
PG_FUNCTION_INFO_V1(auth_keys_actor_tailnet_id);
PG_FUNCTION_INFO_V1(auth_keys_actor_login);
PG_FUNCTION_INFO_V1(auth_keys_actor_sees_all_keys);
PG_FUNCTION_INFO_V1(auth_keys_actor_sees_all_nodes);

static const char *const role_names[] = {
	[ROLE_OWNER] = "owner",
	[ROLE_ADMIN] = "admin",
	[ROLE_IT_ADMIN] = "it_admin",
	[ROLE_NETWORK_ADMIN] = "network_admin",
	[ROLE_BILLING_ADMIN] = "billing_admin",
	[ROLE_AUDITOR] = "auditor",
	[ROLE_MEMBER] = "member",
};

/*
 * The members named by act_as (and the OAuth clients by act_as_token),
 * most recent first, each with the subtransaction that named it: rolling
 * back to a savepoint restores the actor from before it.
 */
typedef struct ExplicitActor
{
	int64		tailnet_id;
	char	   *login;			/* a member, or NULL for a client */
	char	   *client_id;		/* an OAuth client and its access token */
	char	   *token_id;
	SubTransactionId subid;
	struct ExplicitActor *previous;
} ExplicitActor;

static ExplicitActor *explicit_actor = NULL;

/*
 * The actor as last resolved, for which role, and in which statement: row
 * level security asks once per row, and is answered from here until the
 * statement changes.
 */
static bool resolved_valid = false;
static bool resolved_found;
static Oid	resolved_for_user;
static TimestampTz resolved_in_statement;
static Actor resolved;
static OAuthTokenState resolved_token_state;

/* Holds the act_as stack and the strings of "resolved", for one transaction. */
static MemoryContext ActorContext = NULL;

/*
 * ActorReset: forget everything, at the end of a transaction.
 */
static void
ActorReset(void)
{
	explicit_actor = NULL;
	resolved_valid = false;
	if (ActorContext != NULL)
		MemoryContextReset(ActorContext);
}

static void
actor_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			ActorReset();
			break;
		default:
			break;
	}
}

/*
 * A savepoint rollback undoes an act_as made inside it, and may undo member
 * changes, so it drops the cached resolution too.  A released savepoint
 * hands its act_as to the parent.
 */
static void
actor_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					   SubTransactionId parentSubid, void *arg)
{
	switch (event)
	{
		case SUBXACT_EVENT_ABORT_SUB:
			while (explicit_actor != NULL && explicit_actor->subid == mySubid)
				explicit_actor = explicit_actor->previous;
			resolved_valid = false;
			break;
		case SUBXACT_EVENT_COMMIT_SUB:
			for (ExplicitActor *a = explicit_actor; a != NULL; a = a->previous)
				if (a->subid == mySubid)
					a->subid = parentSubid;
			break;
		default:
			break;
	}
}

/* ActorRegisterCallbacks: called once, at module load. */
void
ActorRegisterCallbacks(void)
{
	ActorContext = AllocSetContextCreate(TopMemoryContext,
										 "auth_keys actor",
										 ALLOCSET_SMALL_SIZES);
	RegisterXactCallback(actor_xact_callback, NULL);
	RegisterSubXactCallback(actor_subxact_callback, NULL);
}

/*
 * ActorForget: drop the cached resolution, after a change to members.
 */
void
ActorForget(void)
{
	resolved_valid = false;
}

/* Store one result row (tailnet_id, name, login, role) as the actor. */
static void
remember_actor_row(void)
{
	MemoryContext old = MemoryContextSwitchTo(ActorContext);

	resolved.tailnet_id = DatumGetInt64(QueryGetNotNull(0, 1));
	resolved.tailnet = QueryGetText(0, 2);
	resolved.login = QueryGetText(0, 3);
	MemoryContextSwitchTo(old);
	resolved.role = RoleFromName(QueryGetText(0, 4));
	resolved.client = NULL;
	resolved_found = true;
}

/*
 * MembersMapRoleOids
 *		Whether members.db_role holds role OIDs (regrole, from 1.1 on)
 *		rather than role names (1.0).
 */
bool
MembersMapRoleOids(void)
{
	Oid			members = SchemaTable("members");
	AttrNumber	attnum = OidIsValid(members) ? get_attnum(members, "db_role") : InvalidAttrNumber;

	return attnum != InvalidAttrNumber && get_atttype(members, attnum) == REGROLEOID;
}

/*
 * Resolve the actor from the act_as member or the role mapping.  With
 * "lock", the member row is read FOR SHARE with a fresh snapshot (see the
 * file header); without, as the active snapshot shows it.  Runs its own
 * SPI connection, so callers may or may not be connected already.
 */
static void
resolve_actor(Oid user, bool lock)
{
#define MEMBER_SELECT \
	"SELECT m.tailnet_id, t.name, m.login, m.role" \
	"  FROM auth_keys.members m" \
	"  JOIN auth_keys.tailnets t" \
	"    ON t.tailnet_id OPERATOR(pg_catalog.=) m.tailnet_id"
#define BY_MEMBER \
	" WHERE m.tailnet_id OPERATOR(pg_catalog.=) $1" \
	"   AND m.login OPERATOR(pg_catalog.=) $2"
#define BY_DB_ROLE " WHERE m.db_role OPERATOR(pg_catalog.=) $1"
#define LOCKED " FOR SHARE OF m"
	static SqlStatement by_member[2] = {
		{MEMBER_SELECT BY_MEMBER, 2, {INT8OID, TEXTOID}},
		{MEMBER_SELECT BY_MEMBER LOCKED, 2, {INT8OID, TEXTOID}}
	};
	static SqlStatement by_role_oid[2] = {
		{MEMBER_SELECT BY_DB_ROLE, 1, {REGROLEOID}},
		{MEMBER_SELECT BY_DB_ROLE LOCKED, 1, {REGROLEOID}}
	};
	static SqlStatement by_role_name[2] = {
		{MEMBER_SELECT BY_DB_ROLE, 1, {NAMEOID}},
		{MEMBER_SELECT BY_DB_ROLE LOCKED, 1, {NAMEOID}}
	};
#undef MEMBER_SELECT
#undef BY_MEMBER
#undef BY_DB_ROLE
#undef LOCKED
	Datum		values[2];
	uint64		found = 0;

	/* strings of earlier resolutions stay in ActorContext until xact end */
	resolved_valid = false;
	resolved_found = false;

	SPI_connect();
	if (explicit_actor != NULL && explicit_actor->token_id != NULL)
	{
		resolved_token_state = OAuthActorResolve(explicit_actor->client_id,
												 explicit_actor->token_id, lock,
												 ActorContext, &resolved);
		resolved_found = resolved_token_state == OAUTH_TOKEN_VALID;
	}
	else if (explicit_actor != NULL)
	{
		values[0] = Int64GetDatum(explicit_actor->tailnet_id);
		values[1] = CStringGetTextDatum(explicit_actor->login);
		found = QueryRun(&by_member[lock], values, NULL, !lock);
	}
	else if (MembersMapRoleOids())
	{
		values[0] = ObjectIdGetDatum(user);
		found = QueryRun(&by_role_oid[lock], values, NULL, !lock);
	}
	else
	{
		char	   *rolname = GetUserNameFromId(user, true);

		if (rolname != NULL)
		{
			values[0] = DirectFunctionCall1(namein, CStringGetDatum(rolname));
			found = QueryRun(&by_role_name[lock], values, NULL, !lock);
		}
	}
	if (found == 1)
		remember_actor_row();
	SPI_finish();

	resolved_for_user = user;
	resolved_in_statement = GetCurrentStatementStartTimestamp();
	resolved_valid = true;
}

/*
 * ActorCurrent
 *		The actor of the current transaction as the current statement's
 *		snapshot shows it, or NULL when there is none.  For row-level
 *		security and the audit trail; it takes no lock.
 */
const Actor *
ActorCurrent(void)
{
	Oid			user = GetOuterUserId();

	if (!resolved_valid ||
		resolved_in_statement != GetCurrentStatementStartTimestamp() ||
		(explicit_actor == NULL && resolved_for_user != user))
		resolve_actor(user, false);
	return resolved_found ? &resolved : NULL;
}

/*
 * The actor, member or OAuth client, as committed now and locked FOR SHARE
 * until the end of the transaction, or an error saying how to get one.
 */
static const Actor *
actor_require(void)
{
	Oid			user = GetOuterUserId();

	resolve_actor(user, true);
	if (!resolved_found)
	{
		if (explicit_actor != NULL && explicit_actor->token_id != NULL)
			OAuthReportInvalidToken(resolved_token_state);
		if (explicit_actor != NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("the member named by auth_keys.act_as() is no longer a member"),
					 errdetail("Login \"%s\" was removed from its tailnet after auth_keys.act_as() named it.",
							   explicit_actor->login)));
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("no tailnet member is acting in this transaction"),
				 errdetail("Role \"%s\" is not mapped to a member, and auth_keys.act_as() was not called in this transaction.",
						   GetUserNameFromId(user, false)),
				 errhint("Call auth_keys.act_as(tailnet, login) inside the same transaction, or map this role with auth_keys.set_member(..., db_role => ...).")));
	}
	return &resolved;
}

/*
 * ActorRequire
 *		The acting member, as committed now and locked FOR SHARE until the
 *		end of the transaction, or an error saying how to get one.  Every
 *		actor function calls it (or ActorRequireScoped) first.  An OAuth
 *		client is refused: no scope allows what such a function does.
 */
const Actor *
ActorRequire(void)
{
	const Actor *actor = actor_require();

	if (actor->client != NULL)
		OAuthRefuseClient(actor);
	return actor;
}

/*
 * ActorRequireScoped
 *		As ActorRequire, for a function that an OAuth client may call when
 *		its access token has "scope" (an OAuthScopes bit): a member is
 *		returned as ActorRequire returns it, a client when the scope allows
 *		it; the caller applies the client's rules beyond the scope.
 */
const Actor *
ActorRequireScoped(uint32 scope)
{
	const Actor *actor = actor_require();

	if (actor->client != NULL)
		OAuthRequireScope(actor, scope);
	return actor;
}

/*
 * ActorDescribe
 *		Who to name in the audit trail: the acting member's login, or else
 *		"role:" and the database role (an operator or a node-facing backend).
 */
char *
ActorDescribe(void)
{
	const Actor *actor = ActorCurrent();

	if (actor != NULL)
		return pstrdup(actor->login);
	return CallerRoleDescribe();
}

/*
 * CallerRoleDescribe
 *		"role:" and the calling database role, for the audit trail of
 *		node-facing functions, which act for no member.
 */
char *
CallerRoleDescribe(void)
{
	return psprintf("role:%s", GetUserNameFromId(GetOuterUserId(), false));
}

/*
 * CallerIsOperator
 *		Whether the calling role holds the operator tier, which is to say may
 *		execute auth_keys.create_tailnet.  Functions open to both operators
 *		and members (configure_tailnet) use it to tell them apart.
 */
bool
CallerIsOperator(void)
{
	Oid			argtypes[3] = {TEXTOID, BOOLOID, INTERVALOID};
	List	   *name = stringToQualifiedNameList("auth_keys.create_tailnet");
	Oid			fn = LookupFuncName(name, 3, argtypes, false);

	return pg_proc_aclcheck(fn, GetOuterUserId(), ACL_EXECUTE) == ACLCHECK_OK;
}

/*
 * RoleFromName
 *		The role of a name, or an error listing the valid ones.
 */
MemberRole
RoleFromName(const char *name)
{
	for (int i = 0; i < lengthof(role_names); i++)
		if (strcmp(name, role_names[i]) == 0)
			return (MemberRole) i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid member role \"%s\"", name),
			 errhint("Valid roles are owner, admin, it_admin, network_admin, billing_admin, auditor and member.")));
	pg_unreachable();
}

const char *
RoleName(MemberRole role)
{
	return role_names[role];
}

/* Owners, admins, IT admins and network admins generate and revoke keys. */
bool
RoleMayManageKeys(MemberRole role)
{
	return role == ROLE_OWNER || role == ROLE_ADMIN ||
		role == ROLE_IT_ADMIN || role == ROLE_NETWORK_ADMIN;
}

/* Owners, admins and auditors see every key of their tailnet. */
bool
RoleSeesAllKeys(MemberRole role)
{
	return role == ROLE_OWNER || role == ROLE_ADMIN || role == ROLE_AUDITOR;
}

/* Owners and admins change tailnet settings and are autogroup:admin. */
bool
RoleIsTailnetAdmin(MemberRole role)
{
	return role == ROLE_OWNER || role == ROLE_ADMIN;
}

/* Owners, admins and IT admins approve, delete and manage any node. */
bool
RoleManagesDevices(MemberRole role)
{
	return role == ROLE_OWNER || role == ROLE_ADMIN || role == ROLE_IT_ADMIN;
}

/* Node managers, network admins and auditors see every node of the tailnet. */
bool
RoleSeesAllNodes(MemberRole role)
{
	return RoleManagesDevices(role) || role == ROLE_NETWORK_ADMIN ||
		role == ROLE_AUDITOR;
}

/*
 * RequireKeyManager
 *		Error unless the actor's role may generate and revoke keys; the
 *		message names what the actor was doing.
 */
void
RequireKeyManager(const Actor *actor, KeyAction action)
{
	if (!RoleMayManageKeys(actor->role))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 action == KEY_GENERATE ?
				 errmsg("permission denied to generate authentication keys") :
				 errmsg("permission denied to revoke authentication keys"),
				 errdetail("Member \"%s\" has role %s in tailnet \"%s\".",
						   actor->login, RoleName(actor->role), actor->tailnet),
				 errhint("Only owners, admins, IT admins and network admins may generate or revoke keys.")));
}

/*
 * auth_keys.act_as(tailnet text, login text) RETURNS void
 *		Act as a member until the end of the current transaction.
 */
Datum
auth_keys_act_as(PG_FUNCTION_ARGS)
{
	static SqlStatement lookup = {
		"SELECT t.tailnet_id, m.login IS NOT NULL"
		"  FROM auth_keys.tailnets t"
		"  LEFT JOIN auth_keys.members m"
		"    ON m.tailnet_id OPERATOR(pg_catalog.=) t.tailnet_id"
		"   AND m.login OPERATOR(pg_catalog.=) $2"
		" WHERE t.name OPERATOR(pg_catalog.=) $1",
		2, {TEXTOID, TEXTOID}
	};
	Datum		values[2];
	int64		tailnet_id;
	bool		is_member;
	char	   *tailnet;
	char	   *login;
	ExplicitActor *actor;

	RequireArguments(fcinfo, 2);
	tailnet = text_to_cstring(PG_GETARG_TEXT_PP(0));
	login = text_to_cstring(PG_GETARG_TEXT_PP(1));
	DelegateRequireTailnet(tailnet);

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	SPI_connect();
	/* not read-only: a fresh snapshot, which sees the latest members */
	if (QueryRun(&lookup, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("tailnet \"%s\" does not exist", tailnet)));
	tailnet_id = DatumGetInt64(QueryGetNotNull(0, 1));
	is_member = DatumGetBool(QueryGetNotNull(0, 2));
	SPI_finish();

	if (!is_member)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("member \"%s\" of tailnet \"%s\" does not exist", login, tailnet)));

	actor = MemoryContextAllocZero(ActorContext, sizeof(ExplicitActor));
	actor->tailnet_id = tailnet_id;
	actor->login = MemoryContextStrdup(ActorContext, login);
	actor->subid = GetCurrentSubTransactionId();
	actor->previous = explicit_actor;
	explicit_actor = actor;
	resolved_valid = false;
	ActorWarnOutsideTransactionBlock("auth_keys.act_as");
	PG_RETURN_VOID();
}

/*
 * ActorPushClient
 *		Make an OAuth client, with the access token that act_as_token proved,
 *		the actor until the end of the transaction (or the rollback of the
 *		current subtransaction), as act_as does for a member.
 */
void
ActorPushClient(int64 tailnet_id, const char *client_id, const char *token_id)
{
	ExplicitActor *actor = MemoryContextAllocZero(ActorContext, sizeof(ExplicitActor));

	actor->tailnet_id = tailnet_id;
	actor->client_id = MemoryContextStrdup(ActorContext, client_id);
	actor->token_id = MemoryContextStrdup(ActorContext, token_id);
	actor->subid = GetCurrentSubTransactionId();
	actor->previous = explicit_actor;
	explicit_actor = actor;
	resolved_valid = false;
}

/*
 * auth_keys.actor_tailnet_id() RETURNS bigint
 *		The acting member's tailnet, or NULL.  Row-level security policies
 *		use it.  An OAuth client is no member: it sees only what its scopes
 *		open (actor_client_tailnet_id), and needs no NOTICE about it.
 */
Datum
auth_keys_actor_tailnet_id(PG_FUNCTION_ARGS)
{
	const Actor *actor = ActorCurrent();

	if (actor == NULL)
	{
		ActorNoticeMissing();
		PG_RETURN_NULL();
	}
	if (actor->client != NULL)
		PG_RETURN_NULL();
	PG_RETURN_INT64(actor->tailnet_id);
}

/*
 * auth_keys.actor_login() RETURNS text
 *		The acting member's login, or NULL (also for an OAuth client).
 */
Datum
auth_keys_actor_login(PG_FUNCTION_ARGS)
{
	const Actor *actor = ActorCurrent();

	if (actor == NULL || actor->client != NULL)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(actor->login));
}

/*
 * auth_keys.actor_sees_all_keys() RETURNS boolean
 *		Whether the actor sees every key of the tailnet, or only its own.
 */
Datum
auth_keys_actor_sees_all_keys(PG_FUNCTION_ARGS)
{
	const Actor *actor = ActorCurrent();

	PG_RETURN_BOOL(actor != NULL && RoleSeesAllKeys(actor->role));
}

/*
 * auth_keys.actor_sees_all_nodes() RETURNS boolean
 *		Whether the actor sees every node of the tailnet, or only its own.
 */
Datum
auth_keys_actor_sees_all_nodes(PG_FUNCTION_ARGS)
{
	const Actor *actor = ActorCurrent();

	PG_RETURN_BOOL(actor != NULL && RoleSeesAllNodes(actor->role));
}

/*
 * ActorWarnOutsideTransactionBlock
 *		act_as (or act_as_token, named by "function") called by itself
 *		outside BEGIN ... COMMIT lasts only for its own statement: warn, as
 *		SET LOCAL does (the same SQLSTATE, 25P01).  A function or DO block
 *		that calls it may use the actor itself, so only a call with no
 *		function around it (nothing on the error context stack, which every
 *		PL and SQL function pushes) warns.
 */
void
ActorWarnOutsideTransactionBlock(const char *function)
{
	if (!IsTransactionBlock() && error_context_stack == NULL)
		ereport(WARNING,
				(errcode(ERRCODE_NO_ACTIVE_SQL_TRANSACTION),
				 errmsg("%s can only be used in transaction blocks", function),
				 errdetail("The actor lasts until the end of the current transaction, which ends with this statement."),
				 errhint("Call %s() after BEGIN, in the transaction of the statements it is for.",
						 function)));
}

/*
 * ActorNoticeMissing
 *		A read of the views or tables without an actor sees no rows: say so,
 *		once per statement, with a NOTICE (row-level security calls
 *		actor_tailnet_id for every row it checks).  A NOTICE rather than an
 *		error, so that a DBA's or a monitor's read still answers.
 */
void
ActorNoticeMissing(void)
{
	static TimestampTz noticed_statement = 0;
	TimestampTz statement = GetCurrentStatementStartTimestamp();

	if (noticed_statement == statement)
		return;
	noticed_statement = statement;
	ereport(NOTICE,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("no tailnet member is acting in this transaction, so no rows are visible"),
			 errhint("Call auth_keys.act_as(tailnet, login) inside the same transaction, or map this role with auth_keys.set_member(..., db_role => ...).")));
}
