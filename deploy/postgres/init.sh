#!/bin/sh
# One database and one role per app, each role allowed into its own database only. The postgres
# image runs this once, on an empty data volume (docker-compose.yml mounts it into
# /docker-entrypoint-initdb.d/). Each role's password comes from EDF_DB_PASSWORD_<APP>.
# The role owns its database and runs its migrations; the migration that makes audit_log
# append-only also revokes UPDATE, DELETE and TRUNCATE on it from this role (no tables yet here).
set -e
for app in gateway applications scoring disbursement monitoring; do
    variable="EDF_DB_PASSWORD_$(echo "$app" | tr '[:lower:]' '[:upper:]')"
    password="$(printenv "$variable" || true)"
    if [ -z "$password" ]; then
        echo "init.sh: $variable is not set" >&2
        false
    fi
    psql -v ON_ERROR_STOP=1 --username "${POSTGRES_USER:-postgres}" --dbname postgres \
        -v role="${EDF_DB_PREFIX:-edf_}$app" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE CONNECT ON DATABASE :"role" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"role" TO :"role";
SQL
done
