"""Operator commands (run with the stage's environment: TABLE_NAME, the secret names, AWS credentials).

    python -m khaya.identity.cli create-admin --phone +27821234567 --name "Thandi Admin"
    python -m khaya.identity.cli rotate-jwt-key

``create-admin``: admins are never created through the API. The account is active at once;
the admin signs in with a login code (``POST /v1/auth/otp`` purpose ``login``) or, with
``--password-stdin``, a password read from standard input (never from the command line).

``rotate-jwt-key``: a new ES256 key pair. The public key is *added* to the public-key secret
(the previous one stays, so tokens signed before the switch keep working until they
expire), then the private key is replaced. ``--keep`` is how many public keys to keep (2).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def create_admin(phone: str, name: str, password: str | None = None) -> dict[str, Any]:
    from khaya.identity.accounts import create_user
    from khaya.identity.passwords import check_password_rules
    from khaya.identity.tokens import public_user
    from khaya.phones import normalize_phone

    if password is not None:
        check_password_rules(password)
    return public_user(create_user(normalize_phone(phone), name.strip(), "admin", status="active", password=password))


def rotate_jwt_key(keep: int = 2) -> str:
    from khaya.aws import client
    from khaya.config import settings
    from khaya.identity.jwt_keys import new_key_pair, private_key_document

    cfg = settings()
    sm = client("secretsmanager")
    kid, private_pem, public_pem = new_key_pair()
    public_name = cfg.require("JWT_PUBLIC_KEYS_SECRET_NAME")
    try:
        current = json.loads(sm.get_secret_value(SecretId=public_name)["SecretString"]).get("keys", {})
    except (ValueError, AttributeError):
        current = {}  # the placeholder CloudFormation generated
    keys = dict(list(current.items())[-(keep - 1) :]) if keep > 1 else {}
    keys[kid] = public_pem
    sm.put_secret_value(SecretId=public_name, SecretString=json.dumps({"keys": keys}))
    sm.put_secret_value(
        SecretId=cfg.require("JWT_PRIVATE_KEY_SECRET_NAME"),
        SecretString=private_key_document(kid, private_pem),
    )
    return kid


def main(argv: list[str] | None = None) -> int:
    from khaya.errors import AppError

    parser = argparse.ArgumentParser(prog="python -m khaya.identity.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    admin = sub.add_parser("create-admin", help="create an active admin account")
    admin.add_argument("--phone", required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument("--password-stdin", action="store_true", help="read a password from stdin")
    rotate = sub.add_parser("rotate-jwt-key", help="publish a new ES256 key pair for access tokens")
    rotate.add_argument("--keep", type=int, default=2, help="public keys to keep, the new one included")
    args = parser.parse_args(argv)

    try:
        if args.command == "create-admin":
            password = sys.stdin.readline().rstrip("\n") if args.password_stdin else None
            user = create_admin(args.phone, args.name, password)
            print(json.dumps({"userId": user["userId"], "role": user["role"], "status": user["status"]}))
        else:
            print(json.dumps({"kid": rotate_jwt_key(max(1, args.keep))}))
    except AppError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
