"""`edf jwt keygen` and `edf jwt jwks`: the gateway's token signing key and the JWKS of the
public keys every app verifies tokens with (docs/deploy.md, "Tokens and keys")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from shared.jwk import KeyFileError, generate_signing_key, jwks_document, load_public_pem, write_private_key

jwt = typer.Typer(help="The tokens' signing key and public keys (JWKS).", no_args_is_help=True)


@jwt.command("keygen")
def keygen(
    path: Annotated[Path, typer.Argument(help="The new private key file (PEM); never overwritten.")],
) -> None:
    """Make an Ed25519 signing key (mode 0600) for the gateway; prints its kid."""
    key = generate_signing_key()
    try:
        write_private_key(path, key)
    except FileExistsError:
        typer.secho(f"{path} exists: choose another file", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    typer.echo(key.kid)


@jwt.command("jwks")
def jwks(
    pems: Annotated[list[Path], typer.Argument(help="PEM files: private or public keys, old and new.")],
) -> None:
    """Print the JWKS of the public keys of the given PEM files (EDF_JWT_PUBLIC_KEYS_FILE)."""
    try:
        keys = [load_public_pem(path.read_bytes()) for path in pems]
    except (OSError, KeyFileError) as exc:
        typer.secho(f"cannot use the key: {exc}", err=True, fg=typer.colors.RED)
        raise typer.Exit(1) from None
    typer.echo(json.dumps(jwks_document(keys), indent=2))
