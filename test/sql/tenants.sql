--
-- tenants: tailnets, their members and tags (operator functions)
--
CREATE EXTENSION auth_keys;
\set SHOW_CONTEXT never

--
-- create_tailnet
--

-- Defaults: device approval off, node key expiry 180 days.
SELECT auth_keys.create_tailnet('acme') IS NOT NULL AS created;
SELECT auth_keys.create_tailnet('globex', device_approval => true,
                                node_key_expiry => '30 days') IS NOT NULL AS created;
SELECT name, device_approval, node_key_expiry FROM auth_keys.tailnets ORDER BY name;

-- The id returned is the new row's.
SELECT auth_keys.create_tailnet('initech') AS initech_id \gset
SELECT tailnet_id = :initech_id AS returns_id FROM auth_keys.tailnets WHERE name = 'initech';

-- A name is taken once.
SELECT auth_keys.create_tailnet('acme');
\echo :LAST_ERROR_SQLSTATE

-- A name has 1 to 100 bytes, none of them spaces or control characters.
SELECT auth_keys.create_tailnet('');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('two words');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet(E'tab\there');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet(E'new\nline');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet(repeat('n', 101));
\echo :LAST_ERROR_SQLSTATE
-- 51 two-byte characters are 102 bytes
SELECT auth_keys.create_tailnet(repeat('é', 51));
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet(repeat('n', 100)) IS NOT NULL AS hundred_bytes;
SELECT auth_keys.create_tailnet(repeat('é', 50)) IS NOT NULL AS hundred_bytes;

-- Node key expiry is 1 to 180 days inclusive.
SELECT auth_keys.create_tailnet('short', node_key_expiry => '1 day') IS NOT NULL AS created;
SELECT auth_keys.create_tailnet('long', node_key_expiry => '180 days') IS NOT NULL AS created;
SELECT auth_keys.create_tailnet('bad', node_key_expiry => '23:59:59');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('bad', node_key_expiry => '180 days 00:00:01');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('bad', node_key_expiry => '0');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('bad', node_key_expiry => '-1 day');
\echo :LAST_ERROR_SQLSTATE

-- No argument may be NULL.
SELECT auth_keys.create_tailnet(NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('bad', device_approval => NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.create_tailnet('bad', node_key_expiry => NULL);
\echo :LAST_ERROR_SQLSTATE

-- None of the refused calls left a row.
SELECT count(*) AS tailnets, count(*) FILTER (WHERE name = 'bad') AS bad
  FROM auth_keys.tailnets;

--
-- set_member
--

-- Every role of the seed is accepted.
SELECT auth_keys.set_member('acme', login, role)
  FROM (VALUES ('olivia', 'owner'), ('adam', 'admin'), ('ivan', 'it_admin'),
               ('nina', 'network_admin'), ('bill', 'billing_admin'),
               ('audrey', 'auditor'), ('mike', 'member')) AS m(login, role);
SELECT login, role, db_role FROM auth_keys.members ORDER BY login;

-- Any other role is refused, and the hint lists the valid ones.
SELECT auth_keys.set_member('acme', 'eve', 'superadmin');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'eve', 'Owner');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'eve', '');
\echo :LAST_ERROR_SQLSTATE

-- A login has 1 to 255 bytes, no spaces or control characters, and does
-- not look like a tag, a group or a database role.
SELECT auth_keys.set_member('acme', '', 'member');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', repeat('l', 256), 'member');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'eve smith', 'member');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', E'eve\t', 'member');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'tag:eve', 'member');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'autogroup:admin', 'member');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'role:postgres', 'member');
\echo :LAST_ERROR_SQLSTATE
-- "client:" names OAuth clients in the audit trail
SELECT auth_keys.set_member('acme', 'client:k3Fj9QxLm2Pa', 'member');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.members (tailnet_id, login, role)
SELECT tailnet_id, 'client:k3Fj9QxLm2Pa', 'member' FROM auth_keys.tailnets WHERE name = 'acme';
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', repeat('l', 255), 'member');
SELECT auth_keys.set_member('acme', 'eve@example.com', 'member');
SELECT octet_length(login) AS login_bytes FROM auth_keys.members
 WHERE login LIKE 'lll%' OR login LIKE 'eve%' ORDER BY 1;

-- The tailnet must exist; no argument but db_role may be NULL.
SELECT auth_keys.set_member('nowhere', 'eve', 'member');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member(NULL, 'eve', 'member');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', NULL, 'member');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'eve', NULL);
\echo :LAST_ERROR_SQLSTATE

-- A db_role must exist, and maps to one member at most, in any tailnet.
CREATE ROLE regress_tenants_owner;
CREATE ROLE regress_tenants_admin;
CREATE ROLE regress_tenants_other_admin;
CREATE ROLE regress_tenants_netadmin;
CREATE ROLE regress_tenants_member;
CREATE ROLE regress_tenants_unmapped;
CREATE ROLE regress_tenants_operator;
SELECT auth_keys.set_member('acme', 'eve', 'member', db_role => 'regress_tenants_nobody');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'olivia', 'owner', db_role => 'regress_tenants_owner');
SELECT auth_keys.set_member('globex', 'olivia', 'owner', db_role => 'regress_tenants_owner');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_member('acme', 'adam', 'admin', db_role => 'regress_tenants_owner');
\echo :LAST_ERROR_SQLSTATE
-- mapping the same member to the same role again is no conflict
SELECT auth_keys.set_member('acme', 'olivia', 'owner', db_role => 'regress_tenants_owner');
SELECT auth_keys.set_member('acme', 'adam', 'admin', db_role => 'regress_tenants_admin');
SELECT auth_keys.set_member('globex', 'gina', 'admin', db_role => 'regress_tenants_other_admin');
SELECT auth_keys.set_member('acme', 'nina', 'network_admin',
                            db_role => 'regress_tenants_netadmin');
SELECT auth_keys.set_member('acme', 'mike', 'member', db_role => 'regress_tenants_member');

-- Calling set_member again changes the role of the same member.  The
-- db_role argument is part of the change: leaving it out removes a mapping.
SELECT auth_keys.set_member('acme', 'ivan', 'auditor');
SELECT auth_keys.set_member('acme', 'mike', 'billing_admin', db_role => 'regress_tenants_member');
SELECT t.name, m.login, m.role, m.db_role
  FROM auth_keys.members m JOIN auth_keys.tailnets t USING (tailnet_id)
 WHERE m.login IN ('ivan', 'mike', 'olivia', 'gina') ORDER BY 1, 2;
SELECT auth_keys.set_member('acme', 'mike', 'member');
SELECT login, role, db_role FROM auth_keys.members WHERE login = 'mike';
SELECT auth_keys.set_member('acme', 'mike', 'member', db_role => 'regress_tenants_member');

-- The table itself refuses a role or login the function would refuse.
INSERT INTO auth_keys.members (tailnet_id, login, role)
SELECT tailnet_id, 'eve', 'superadmin' FROM auth_keys.tailnets WHERE name = 'acme';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.members (tailnet_id, login, role)
SELECT tailnet_id, 'tag:eve', 'member' FROM auth_keys.tailnets WHERE name = 'acme';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.tailnets (tailnet_id, name, created_at)
VALUES (1000, 'two words', '2026-01-01 00:00:00+00');
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.tailnets (tailnet_id, name, node_key_expiry, created_at)
VALUES (1000, 'bad', '181 days', '2026-01-01 00:00:00+00');
\echo :LAST_ERROR_SQLSTATE

--
-- remove_member
--

-- The member must exist.
SELECT auth_keys.remove_member('acme', 'nobody');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.remove_member('nowhere', 'olivia');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.remove_member('acme', NULL);
\echo :LAST_ERROR_SQLSTATE

-- Removing a member revokes the keys they generated that are still valid
-- (nobody could revoke them afterwards); used and revoked keys stay as they
-- are, and other members' keys are untouched.
SELECT auth_keys.set_member('acme', 'kim', 'it_admin');
BEGIN;
SELECT auth_keys.act_as('acme', 'kim');
SELECT count(*) AS created FROM (
    SELECT auth_keys.create_key(description => 'kim one-off')
    UNION ALL SELECT auth_keys.create_key(reusable => true, description => 'kim reusable')
    UNION ALL SELECT auth_keys.create_key(description => 'kim revoked')
    UNION ALL SELECT auth_keys.create_key(description => 'kim used')) AS k;
SELECT auth_keys.revoke_key(key_id) FROM auth_keys.keys WHERE description = 'kim revoked';
COMMIT;
BEGIN;
SELECT auth_keys.act_as('acme', 'adam');
SELECT count(*) AS created FROM auth_keys.create_key(description => 'adam one-off');
COMMIT;
UPDATE auth_keys.keys SET uses = 1, used_up_at = now() WHERE description = 'kim used';

SELECT description, created_by,
       auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status, revoked_by
  FROM auth_keys.keys ORDER BY description;
SELECT auth_keys.remove_member('acme', 'kim');
SELECT description, created_by,
       auth_keys.key_status(revoked_at, used_up_at, expires_at) AS status, revoked_by
  FROM auth_keys.keys ORDER BY description;
SELECT count(*) AS members_named_kim FROM auth_keys.members WHERE login = 'kim';
SELECT e.action, e.actor, k.description, e.detail
  FROM auth_keys.events e LEFT JOIN auth_keys.keys k USING (key_id)
 WHERE e.action IN ('key.revoked', 'member.removed')
 ORDER BY e.event_id;

--
-- set_tag_owners
--

-- A tag is "tag:", a lower-case letter, then at most 62 lower-case
-- letters, digits or dashes.
SELECT auth_keys.set_tag_owners('acme', 'tag:Web', '{olivia}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'web', '{olivia}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:', '{olivia}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:1web', '{olivia}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:-web', '{olivia}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:web_server', '{olivia}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'TAG:web', '{olivia}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:' || repeat('w', 64), '{olivia}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:' || repeat('w', 63), '{olivia}');
SELECT auth_keys.set_tag_owners('acme', 'tag:web-2', '{olivia}');

-- Owners: a member's login, autogroup:admin, or another tag already defined.
SELECT auth_keys.set_tag_owners('acme', 'tag:server', '{nina}');
SELECT auth_keys.set_tag_owners('acme', 'tag:prod', '{autogroup:admin}');
SELECT auth_keys.set_tag_owners('acme', 'tag:db', '{tag:server, adam}');
-- A tag needs at least one owner: with none, nobody could apply it.
SELECT auth_keys.set_tag_owners('acme', 'tag:nobody', '{}');
\echo :LAST_ERROR_SQLSTATE
SELECT tag, owners FROM auth_keys.tag_owners WHERE tag NOT LIKE 'tag:www%' ORDER BY tag;

-- Refused owners: an undefined tag, a tag that is malformed or the tag
-- itself, a login that is not a member (of this tailnet), another group.
SELECT auth_keys.set_tag_owners('acme', 'tag:cache', '{tag:undefined}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:cache', '{tag:Server}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:cache', '{tag:cache}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:cache', '{olivia, stranger}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:cache', '{gina}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:cache', '{autogroup:member}');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:cache', ARRAY['olivia', NULL]);
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('acme', 'tag:cache', NULL);
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.set_tag_owners('nowhere', 'tag:cache', '{olivia}');
\echo :LAST_ERROR_SQLSTATE
-- a tag defined in another tailnet does not count here
SELECT auth_keys.set_tag_owners('globex', 'tag:remote', '{gina}');
SELECT auth_keys.set_tag_owners('acme', 'tag:cache', '{tag:remote}');
\echo :LAST_ERROR_SQLSTATE
SELECT count(*) AS cache_defined FROM auth_keys.tag_owners WHERE tag = 'tag:cache';

-- Redefining a tag replaces its owners.
SELECT auth_keys.set_tag_owners('acme', 'tag:server', '{olivia, tag:prod}');
SELECT tag, owners FROM auth_keys.tag_owners WHERE tag = 'tag:server';

-- The table itself refuses a malformed tag.
INSERT INTO auth_keys.tag_owners (tailnet_id, tag, owners)
SELECT tailnet_id, 'tag:Bad', '{}' FROM auth_keys.tailnets WHERE name = 'acme';
\echo :LAST_ERROR_SQLSTATE
INSERT INTO auth_keys.tag_owners (tailnet_id, tag, owners)
SELECT tailnet_id, 'bad', '{}' FROM auth_keys.tailnets WHERE name = 'acme';
\echo :LAST_ERROR_SQLSTATE

--
-- configure_tailnet
--

-- An operator may change any tailnet; NULL keeps a setting.
SELECT auth_keys.configure_tailnet('acme', device_approval => true);
SELECT name, device_approval, node_key_expiry FROM auth_keys.tailnets WHERE name = 'acme';
SELECT auth_keys.configure_tailnet('acme', node_key_expiry => '90 days');
SELECT name, device_approval, node_key_expiry FROM auth_keys.tailnets WHERE name = 'acme';
SELECT auth_keys.configure_tailnet('acme');
SELECT name, device_approval, node_key_expiry FROM auth_keys.tailnets WHERE name = 'acme';

-- Node key expiry stays within 1 to 180 days; the tailnet must exist.
SELECT auth_keys.configure_tailnet('acme', node_key_expiry => '181 days');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.configure_tailnet('acme', node_key_expiry => '12 hours');
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.configure_tailnet('nowhere', device_approval => false);
\echo :LAST_ERROR_SQLSTATE
SELECT auth_keys.configure_tailnet(NULL, device_approval => false);
\echo :LAST_ERROR_SQLSTATE

-- An operator role that is not a superuser may too.
SELECT auth_keys.grant_tier('operator', 'regress_tenants_operator');
SET SESSION AUTHORIZATION regress_tenants_operator;
SELECT auth_keys.configure_tailnet('globex', node_key_expiry => '60 days');
RESET SESSION AUTHORIZATION;

-- Owners and admins of the tailnet may change it.
SELECT auth_keys.grant_tier('actor', r::regrole)
  FROM unnest(ARRAY['regress_tenants_owner', 'regress_tenants_admin',
                    'regress_tenants_other_admin', 'regress_tenants_netadmin',
                    'regress_tenants_member', 'regress_tenants_unmapped']) AS r;
SET SESSION AUTHORIZATION regress_tenants_owner;
SELECT auth_keys.configure_tailnet('acme', device_approval => false);
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tenants_admin;
SELECT auth_keys.configure_tailnet('acme', node_key_expiry => '120 days');
-- still within the range
SELECT auth_keys.configure_tailnet('acme', node_key_expiry => '0');
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

-- Nobody else may: an admin of another tailnet, a network admin, a member,
-- a role mapped to no member.
SET SESSION AUTHORIZATION regress_tenants_other_admin;
SELECT auth_keys.configure_tailnet('acme', device_approval => true);
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tenants_netadmin;
SELECT auth_keys.configure_tailnet('acme', device_approval => true);
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tenants_member;
SELECT auth_keys.configure_tailnet('acme', device_approval => true);
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;
SET SESSION AUTHORIZATION regress_tenants_unmapped;
SELECT auth_keys.configure_tailnet('acme', device_approval => true);
\echo :LAST_ERROR_SQLSTATE
RESET SESSION AUTHORIZATION;

-- Only the permitted changes happened.
SELECT name, device_approval, node_key_expiry FROM auth_keys.tailnets
 WHERE name IN ('acme', 'globex') ORDER BY name;
SELECT t.name, e.actor, e.detail->'device_approval' AS device_approval,
       (e.detail->>'node_key_expiry')::interval AS node_key_expiry
  FROM auth_keys.events e JOIN auth_keys.tailnets t USING (tailnet_id)
 WHERE e.action = 'tailnet.configured' ORDER BY e.event_id;

DROP EXTENSION auth_keys;
-- the schema holds the USAGE grants of grant_tier
DROP SCHEMA auth_keys;
DROP ROLE regress_tenants_owner;
DROP ROLE regress_tenants_admin;
DROP ROLE regress_tenants_other_admin;
DROP ROLE regress_tenants_netadmin;
DROP ROLE regress_tenants_member;
DROP ROLE regress_tenants_unmapped;
DROP ROLE regress_tenants_operator;
