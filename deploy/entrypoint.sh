#!/bin/sh
# edf-entrypoint <app>: migrate the app's database (unless EDF_MIGRATE_ON_START=0, when a
# migration job does it), then serve the app on 0.0.0.0:$PORT. EDF_ENV must be set (production
# or development): the container refuses to serve without it.
# edf-entrypoint migrate <app>...: migrate only (the one-shot jobs of compose and Kubernetes).
# edf-entrypoint wait-migrated <app>: wait until the app's schema is at head (init container).
set -eu
app="${1:-gateway}"
# The gateway reads X-Forwarded-For and X-Forwarded-Proto itself, from the proxies of
# EDF_TRUSTED_PROXIES only (gateway/forwarded.py): uvicorn's own handling is off for it.
proxy_headers=--proxy-headers
case "$app" in
    gateway) package=gateway proxy_headers=--no-proxy-headers ;;
    applications | scoring | disbursement | monitoring) package="services.$app" ;;
    migrate) shift; exec python -m shared.migrate "$@" ;;
    wait-migrated) shift; exec python /usr/local/lib/edf/wait_migrated.py "$@" ;;
    *)
        echo "usage: edf-entrypoint gateway|applications|scoring|disbursement|monitoring" >&2
        echo "       edf-entrypoint migrate <app>... | wait-migrated <app>" >&2
        exit 2
        ;;
esac
# No silent default: an app whose EDF_ENV is missing or misspelt would run as `development`
# (the examples' secrets accepted, cookies not Secure). Set it, as compose and Kubernetes do.
case "${EDF_ENV:-}" in
    production | development) ;;
    "")
        echo "edf-entrypoint: EDF_ENV is not set: set EDF_ENV=production (or development for a trial)" >&2
        exit 78
        ;;
    *)
        echo "edf-entrypoint: EDF_ENV=$EDF_ENV: expected production or development" >&2
        exit 78
        ;;
esac
if [ "${EDF_MIGRATE_ON_START:-1}" = "1" ]; then
    python -m shared.migrate "$app"
fi
exec python -m uvicorn "$package.main:create_app" --factory \
    --host 0.0.0.0 --port "${PORT:-8000}" --timeout-graceful-shutdown 10 --no-server-header "$proxy_headers"
