// The shell scripts `check --live` runs in its short-lived attacker containers (one per app and
// environment and shared instance, on that environment's private network, in the instance's own
// image: redis-cli or psql is there). Credentials come in the container's env (ATTACK_USER,
// ATTACK_PASS, ATTACK_HOST, ATTACK_PORT, ATTACK_DB, split from the URL Slipway gave the app, still
// wrapped up to the engine adapter), never on argv. Each attempt prints one block:
//   @@ <id> <exit code> <ms>
//   | <answer line>…            (at most 20 lines of 300 characters)
// isolation-attacks-verdict.ts reads the blocks and decides refused or succeeded.

const COMMON = [
  'set -u',
  'now() { d=$(date +%s%3N 2>/dev/null); case $d in ""|*[!0-9]*) echo 0 ;; *) echo "$d" ;; esac; }',
  'try() { id=$1; shift; t0=$(now); out=$("$@" 2>&1); rc=$?; t1=$(now); printf "@@ %s %s %s\\n" "$id" "$rc" "$((t1 - t0))"; printf "%s\\n" "$out" | head -n 20 | cut -c1-300 | sed "s/^/| /"; }',
];

/**
 * argv: `db key value writekey` per other environment's Redis DB on the same instance (its canary
 * key and value, planted with that environment's own credentials, and the key the write attempt
 * sets: another one, so that attackers running at once never change what the others read). Attempts: own-credentials (the control),
 * no-credentials, flushall (queued in MULTI, then DISCARDed: the server's permission check answers
 * and nothing is flushed even when it is allowed), config-get, keys, and per other DB
 * select-read / select-write / select-list.
 */
export const REDIS_ATTACKS = [
  ...COMMON,
  'if [ -n "${ATTACK_PASS:-}" ]; then export REDISCLI_AUTH="$ATTACK_PASS"; fi',
  'unset ATTACK_PASS',
  'cli() { timeout 10 redis-cli ${ATTACK_USER:+--user "$ATTACK_USER"} -h "$ATTACK_HOST" -p "$ATTACK_PORT" "$@"; }',
  'own() { printf "PING\\n" | cli -n "$ATTACK_DB"; }',
  'bare() { printf "PING\\n" | env -u REDISCLI_AUTH timeout 10 redis-cli -h "$ATTACK_HOST" -p "$ATTACK_PORT"; }',
  'flushall() { printf "MULTI\\nFLUSHALL\\nDISCARD\\n" | cli -n "$ATTACK_DB"; }',
  'configget() { printf "CONFIG GET maxmemory\\n" | cli -n "$ATTACK_DB"; }',
  'keys() { printf "KEYS *\\n" | cli -n "$ATTACK_DB"; }',
  'sread() { printf "SELECT %s\\nGET %s\\n" "$1" "$2" | cli -n "$ATTACK_DB"; }',
  'swrite() { printf "SELECT %s\\nSET %s slipway-attacker-wrote-this EX 60\\n" "$1" "$4" | cli -n "$ATTACK_DB"; }',
  'slist() { printf "SELECT %s\\nSCAN 0 COUNT 1000\\n" "$1" | cli -n "$ATTACK_DB"; }',
  'try own-credentials own',
  'try no-credentials bare',
  'try flushall flushall',
  'try config-get configget',
  'try keys keys',
  'while [ $# -ge 4 ]; do',
  '  try "select-read:$1" sread "$1" "$2"',
  '  try "select-write:$1" swrite "$1" "$2" "$3" "$4"',
  '  try "select-list:$1" slist "$1"',
  '  shift 4',
  'done',
].join('\n');

/**
 * Plants (argv: `set key value`) or removes (argv: `del key…`) a canary key with the environment's
 * own credentials, run by exec inside the Redis instance itself (ATTACK_HOST is 127.0.0.1).
 */
export const REDIS_CANARY = [
  'set -u',
  'if [ -n "${ATTACK_PASS:-}" ]; then export REDISCLI_AUTH="$ATTACK_PASS"; fi',
  'unset ATTACK_PASS',
  'cli() { timeout 10 redis-cli ${ATTACK_USER:+--user "$ATTACK_USER"} -h "$ATTACK_HOST" -p "$ATTACK_PORT" -n "$ATTACK_DB" "$@"; }',
  'if [ "$1" = set ]; then printf "SET %s %s EX 300\\n" "$2" "$3" | cli; else shift; printf "DEL %s\\n" "$@" | cli; fi',
].join('\n');

/**
 * argv: a fresh name for the database and role the attacker tries to create, then the other
 * environments' databases on the same instance. Attempts: own-credentials (the control),
 * no-credentials (as postgres), no-credentials-own (as its own role, no password),
 * create-database and create-role (dropped again at once if they were allowed), read-pg-authid,
 * and connect:<database> per other database.
 */
export const POSTGRES_ATTACKS = [
  ...COMMON,
  'export PGCONNECT_TIMEOUT=5 PGPASSFILE=/nonexistent/pgpass PGHOST="$ATTACK_HOST" PGPORT="$ATTACK_PORT"',
  'unset PGPASSWORD PGUSER PGDATABASE',
  'q() { timeout 20 psql -X -w -q -v ON_ERROR_STOP=1 -tA "$@"; }',
  'as_own() { PGPASSWORD="$ATTACK_PASS" q -U "$ATTACK_USER" "$@"; }',
  'own() { as_own -d "$ATTACK_DB" -c "select current_user"; }',
  'bare() { q -U postgres -d postgres -c "select 1"; }',
  'bareown() { q -U "$ATTACK_USER" -d "$ATTACK_DB" -c "select 1"; }',
  'mkdb() { as_own -d "$ATTACK_DB" -c "CREATE DATABASE $1" || return $?; as_own -d "$ATTACK_DB" -c "DROP DATABASE $1" >/dev/null 2>&1; echo "created database $1 (dropped again)"; }',
  'mkrole() { as_own -d "$ATTACK_DB" -c "CREATE ROLE $1" || return $?; as_own -d "$ATTACK_DB" -c "DROP ROLE $1" >/dev/null 2>&1; echo "created role $1 (dropped again)"; }',
  'authid() { as_own -d "$ATTACK_DB" -c "select count(*) || \' rows\' from pg_authid"; }',
  'other() { as_own -d "$1" -c "select current_database()"; }',
  'fresh=$1; shift',
  'try own-credentials own',
  'try no-credentials bare',
  'try no-credentials-own bareown',
  'try create-database mkdb "$fresh"',
  'try create-role mkrole "$fresh"',
  'try read-pg-authid authid',
  'for d in "$@"; do try "connect:$d" other "$d"; done',
].join('\n');
