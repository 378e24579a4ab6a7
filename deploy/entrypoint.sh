#!/bin/sh
# edf-entrypoint <app>: migrate the app's database, then serve the app on 0.0.0.0:$PORT.
# EDF_MIGRATE_ON_START=0 skips the migration (when a release job migrates instead).
set -eu
app="${1:-gateway}"
case "$app" in
    gateway) package=gateway ;;
    applications | scoring | disbursement | monitoring) package="services.$app" ;;
    *)
        echo "usage: edf-entrypoint gateway|applications|scoring|disbursement|monitoring" >&2
        exit 2
        ;;
esac
if [ "${EDF_MIGRATE_ON_START:-1}" = "1" ]; then
    python -m shared.migrate "$app"
fi
exec python -m uvicorn "$package.main:create_app" --factory \
    --host 0.0.0.0 --port "${PORT:-8000}" --timeout-graceful-shutdown 10 --no-server-header
