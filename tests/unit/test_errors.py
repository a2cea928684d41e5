from pydantic import BaseModel, ValidationError

from payymo.errors import (
    PROBLEM_BASE,
    FieldError,
    NotFound,
    ValidationFailed,
    field_errors_from_pydantic,
    problem_body,
)


class Sample(BaseModel):
    name: str
    amount: int


def test_problem_body_has_the_rfc_9457_members() -> None:
    body = problem_body(status=404, slug="not-found", title="Not found", detail="no such thing")
    assert body == {
        "type": PROBLEM_BASE + "not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no such thing",
    }


def test_problem_errors_carry_their_stable_type_and_status() -> None:
    problem = NotFound(detail="invoice 7").to_problem(instance="/api/v1/invoices/7")
    assert problem["status"] == 404
    assert problem["type"].endswith("/not-found")
    assert problem["instance"] == "/api/v1/invoices/7"


def test_validation_failures_list_their_field_errors() -> None:
    problem = ValidationFailed(errors=[FieldError("amount", "must be positive")]).to_problem()
    assert problem["status"] == 422
    assert problem["errors"] == [
        {"field": "amount", "message": "must be positive", "code": "invalid"}
    ]


def test_pydantic_errors_become_dotted_field_errors() -> None:
    try:
        Sample.model_validate({"amount": "many"})
    except ValidationError as exc:
        errors = field_errors_from_pydantic(exc.errors())  # type: ignore[arg-type]
    fields = {e.field: e.code for e in errors}
    assert fields == {"name": "missing", "amount": "int_parsing"}
