"""A person's short-lived token (issued by the workbench) is verified by each service itself."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from shared.auth import Caller, PersonTokens, issue_person_token, parse_tokens
from shared.http import bearer_caller, install_conventions

SECRET = "a-deployment-secret-of-enough-length-0123456789"


@pytest.fixture
def client() -> TestClient:
    app = FastAPI()
    install_conventions(app)
    caller_of = bearer_caller(parse_tokens("dev-oost:oost-nl:rom"), PersonTokens(SECRET, audience="intake"))

    @app.get("/whoami")
    def whoami(caller: Caller = Depends(caller_of)) -> dict:
        return {"organisation": caller.organisation, "role": caller.role, "person": caller.person}

    return TestClient(app)


def ask(client: TestClient, token: str):
    return client.get("/whoami", headers={"Authorization": f"Bearer {token}"})


def token(**overrides) -> str:
    args = dict(person="anna", organisation="oost-nl", role="rom", audience="intake") | overrides
    return issue_person_token(overrides.pop("secret", SECRET), **{k: v for k, v in args.items() if k != "secret"})


def test_a_valid_person_token_names_the_person_role_and_organisation(client):
    answer = ask(client, token())
    assert answer.status_code == 200
    assert answer.json() == {"organisation": "oost-nl", "role": "rom", "person": "anna"}


def test_system_clients_keep_their_bearer_tokens(client):
    assert ask(client, "dev-oost").json() == {"organisation": "oost-nl", "role": "rom", "person": None}


def test_a_token_signed_with_another_secret_is_401(client):
    answer = ask(client, token(secret="someone-elses-secret-of-enough-length-9876543210"))
    assert answer.status_code == 401
    assert "InvalidSignature" in answer.json()["detail"]


def test_an_expired_token_is_401(client):
    old = issue_person_token(SECRET, person="anna", organisation="oost-nl", role="rom", audience="intake",
                             now=datetime.now(UTC) - timedelta(seconds=61))
    answer = ask(client, old)
    assert answer.status_code == 401
    assert "Expired" in answer.json()["detail"]


def test_a_token_for_another_service_is_401(client):
    answer = ask(client, token(audience="matching"))
    assert answer.status_code == 401
    assert "Audience" in answer.json()["detail"]


def test_a_token_with_a_changed_role_is_401(client):
    """Changing a claim (here the role) breaks the signature: the workbench cannot be tricked into more."""
    header, payload, signature = token().split(".")
    claims = jwt.decode(token(), options={"verify_signature": False})
    forged = jwt.encode(claims | {"role": "coordinator"}, "guess", algorithm="HS256").split(".")[1]
    assert ask(client, f"{header}.{forged}.{signature}").status_code == 401


def test_an_unsigned_token_is_401(client):
    claims = jwt.decode(token(), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none")
    assert ask(client, unsigned).status_code == 401


def test_a_token_with_an_unknown_role_is_401(client):
    claims = jwt.decode(token(), options={"verify_signature": False})
    assert ask(client, jwt.encode(claims | {"role": "admin"}, SECRET, algorithm="HS256")).status_code == 401


def test_a_token_without_an_organisation_is_401(client):
    claims = jwt.decode(token(), options={"verify_signature": False})
    claims.pop("organisation")
    assert ask(client, jwt.encode(claims, SECRET, algorithm="HS256")).status_code == 401
