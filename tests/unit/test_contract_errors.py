"""A refusal names the field that is wrong, even deep inside a connection whose ``config`` is one
of OpenMetadata's sixty connection schemas."""

from __future__ import annotations

from tessera import contract


def _service(config: dict[str, object]) -> dict[str, object]:
    return {"name": "svc", "serviceType": config["type"], "connection": {"config": config}}


def test_a_misspelt_connection_field_is_named() -> None:
    problems = contract.errors(
        "createDatabaseService",
        _service({"type": "Mysql", "username": "u", "hostPort": "db:3306", "databse": "shop"}),
    )
    assert "connection.config: unrecognized field(s) 'databse'" in problems
    assert not any("anyOf" in problem for problem in problems)


def test_a_wrong_type_deep_in_a_connection_is_named() -> None:
    problems = contract.errors(
        "createDatabaseService",
        _service({"type": "Mysql", "username": "u", "hostPort": "db:3306", "authType": {"password": 3}}),
    )
    assert problems == ['connection.config.authType.password: 3 is not of type "string"']


def test_a_valid_connection_has_no_problems() -> None:
    assert (
        contract.errors(
            "createDatabaseService", _service({"type": "Mysql", "username": "u", "hostPort": "db:3306"})
        )
        == []
    )
