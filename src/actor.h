/*-------------------------------------------------------------------------
 *
 * actor.h
 *	  Who is calling: the member of a tailnet on whose behalf the current
 *	  transaction acts, and what that member's role allows.
 *
 * Copyright (c) 2026, auth_keys developers
 *
 * src/actor.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef ACTOR_H
#define ACTOR_H

/* The roles a member of a tailnet may have. */
typedef enum MemberRole
{
	ROLE_OWNER,
	ROLE_ADMIN,
	ROLE_IT_ADMIN,
	ROLE_NETWORK_ADMIN,
	ROLE_BILLING_ADMIN,
	ROLE_AUDITOR,
	ROLE_MEMBER
} MemberRole;

/*
 * An OAuth client acting with an access token (act_as_token): what the
 * token allows.  See oauth_actor.c.
 */
typedef struct ActorClient
{
	char	   *client_id;
	uint32		scopes;			/* OAuthScopes of the token (oauth_scope.h) */
	int			ntags;
	char	  **tags;			/* the token's tags */
} ActorClient;

typedef struct Actor
{
	int64		tailnet_id;
	char	   *tailnet;		/* tailnet name */
	char	   *login;			/* for a client, "client:" and its id */
	MemberRole	role;			/* for a client, ROLE_MEMBER: it holds no role */
	const ActorClient *client;	/* an OAuth client, or NULL for a member */
} Actor;

extern void ActorRegisterCallbacks(void);
extern const Actor *ActorCurrent(void);
extern const Actor *ActorRequire(void);
extern const Actor *ActorRequireScoped(uint32 scope);
extern void ActorPushClient(int64 tailnet_id, const char *client_id,
							const char *token_id);
extern void ActorForget(void);
extern char *ActorDescribe(void);
extern char *CallerRoleDescribe(void);
extern bool CallerIsOperator(void);
extern bool MembersMapRoleOids(void);
extern void ActorWarnOutsideTransactionBlock(const char *function);
extern void ActorNoticeMissing(void);

extern MemberRole RoleFromName(const char *name);
extern const char *RoleName(MemberRole role);
extern bool RoleMayManageKeys(MemberRole role);
extern bool RoleSeesAllKeys(MemberRole role);
extern bool RoleIsTailnetAdmin(MemberRole role);
extern bool RoleManagesDevices(MemberRole role);
extern bool RoleSeesAllNodes(MemberRole role);

/* what RequireKeyManager is asked for */
typedef enum KeyAction
{
	KEY_GENERATE,
	KEY_REVOKE
} KeyAction;

extern void RequireKeyManager(const Actor *actor, KeyAction action);

#endif							/* ACTOR_H */
