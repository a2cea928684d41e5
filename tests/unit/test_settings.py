import re

import pytest

from payymo.settings import PROJECT_ROOT, Environment, Settings, SettingsError, load_settings

SECRETS = ("SECRET_KEY", "ENCRYPTION_KEYS", "DATABASE_URL")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: pytest.TempPathFactory) -> None:
    for name in (
        *SECRETS,
        "PAYYMO_ENV",
        "LOG_LEVEL",
        "DATABASE_ROLE",
        "REDIS_URL",
        "SMTP_HOST",
        "EMAIL_BACKEND",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no developer .env leaks in


def test_development_runs_without_any_secret() -> None:
    settings = load_settings()
    assert settings.payymo_env is Environment.DEVELOPMENT
    assert settings.effective_database_url.startswith("sqlite:///")
    assert settings.effective_encryption_keys


@pytest.mark.parametrize("env", ["production", "staging"])
def test_production_refuses_to_start_and_names_every_missing_secret(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv("PAYYMO_ENV", env)
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    message = str(excinfo.value)
    for name in SECRETS:
        assert name in message


def test_production_names_only_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYYMO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret-value")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app@db/payymo")
    with pytest.raises(SettingsError, match="ENCRYPTION_KEYS") as excinfo:
        load_settings()
    assert "SECRET_KEY" not in str(excinfo.value)


def test_production_starts_with_its_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYYMO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret-value")
    monkeypatch.setenv("ENCRYPTION_KEYS", "a,b")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app@db/payymo")
    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    settings = load_settings()
    assert settings.effective_encryption_keys == ("a", "b")


def test_production_sends_email_by_smtp_and_needs_its_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYYMO_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s3cret-value")
    monkeypatch.setenv("ENCRYPTION_KEYS", "a")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app@db/payymo")
    with pytest.raises(SettingsError, match="SMTP_HOST"):
        load_settings()
    monkeypatch.setenv("SMTP_HOST", "smtp.example.com")
    assert load_settings().effective_email_backend == "smtp"


@pytest.mark.parametrize("env", ["production", "staging"])
def test_staging_and_production_refuse_the_console_email_backend(
    monkeypatch: pytest.MonkeyPatch, env: str
) -> None:
    monkeypatch.setenv("PAYYMO_ENV", env)
    monkeypatch.setenv("SECRET_KEY", "s3cret-value")
    monkeypatch.setenv("ENCRYPTION_KEYS", "a")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://app@db/payymo")
    monkeypatch.setenv("EMAIL_BACKEND", "console")
    with pytest.raises(SettingsError) as excinfo:
        load_settings()
    message = str(excinfo.value)
    assert message.startswith(f"PAYYMO_ENV={env} refuses EMAIL_BACKEND=console")
    assert "\n" not in message


def test_development_prints_email_to_the_console_by_default() -> None:
    assert load_settings().effective_email_backend == "console"


def test_unknown_environment_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYYMO_ENV", "prod")
    with pytest.raises(SettingsError, match="PAYYMO_ENV"):
        load_settings()


def test_feature_flags_come_from_prefixed_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYYMO_FEATURE_SHADOW_MODE", "true")
    monkeypatch.setenv("PAYYMO_FEATURE_NEW_UI", "0")
    settings = load_settings()
    assert settings.feature("shadow_mode") is True
    assert settings.feature("SHADOW_MODE") is True
    assert settings.feature("new_ui") is False
    assert settings.feature("never_set") is False


def test_feature_flags_are_read_from_dotenv(tmp_path: object) -> None:
    with open(".env", "w", encoding="utf-8") as env_file:
        env_file.write("PAYYMO_FEATURE_FROM_FILE=on\nLOG_LEVEL=debug\n")
    settings = load_settings()
    assert settings.feature("from_file") is True
    assert settings.log_level == "DEBUG"


def test_a_feature_flag_that_is_not_a_boolean_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAYYMO_FEATURE_SHADOW_MODE", "maybe")
    with pytest.raises(SettingsError, match="PAYYMO_FEATURE_SHADOW_MODE"):
        load_settings()


def test_overrides_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "DEBUG")
    assert load_settings(log_level="error").log_level == "ERROR"


def test_an_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORT", "not-a-port")
    with pytest.raises(SettingsError, match="PORT"):
        load_settings()


def test_a_rate_limit_that_is_not_a_rate_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RATE_LIMIT_SYNCS", "often")
    with pytest.raises(SettingsError, match=r'RATE_LIMIT_SYNCS: .*"10/minute"'):
        load_settings()
    monkeypatch.setenv("RATE_LIMIT_SYNCS", "5/second;100/hour")
    assert load_settings().rate_limit_syncs == "5/second;100/hour"


def test_every_setting_is_in_env_example_and_the_configuration_guide() -> None:
    example = (PROJECT_ROOT / ".env.example").read_text()
    guide = (PROJECT_ROOT / "docs" / "configuration.md").read_text()
    for name in Settings.model_fields.keys() - {"features"}:  # PAYYMO_FEATURE_<NAME>
        variable = name.upper()
        assert re.search(rf"^#? ?{variable}=", example, re.MULTILINE), variable
        assert f"`{variable}`" in guide, variable
