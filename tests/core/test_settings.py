"""Settings come from DYAD_* variables; a bad one is refused with one line that names it."""

import pytest
from pydantic import ValidationError

from app.core.settings import Settings, describe_error


@pytest.fixture(autouse=True)
def no_dyad_settings_in_environment(monkeypatch):
    """Start every test from the defaults, whatever the developer's shell exports."""
    for field in Settings.model_fields:
        monkeypatch.delenv(f"DYAD_{field.upper()}", raising=False)


def test_defaults_when_nothing_is_set():
    settings = Settings(_env_file=None)
    assert settings.database_url == "sqlite:///./dyad.db"
    assert settings.public_read is True
    assert settings.max_body_bytes == 10 * 1024 * 1024
    assert settings.redis_url is None
    assert settings.cors_origins == []
    assert settings.log_level == "info"


def test_public_read_false_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DYAD_PUBLIC_READ", "false")
    assert Settings(_env_file=None).public_read is False


def test_database_url_for_postgresql_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DYAD_DATABASE_URL", "postgresql+psycopg://dyad@db.example.org/dyad")
    assert Settings(_env_file=None).database_url == "postgresql+psycopg://dyad@db.example.org/dyad"


def test_cors_origins_are_split_on_commas_and_trimmed(monkeypatch):
    monkeypatch.setenv("DYAD_CORS_ORIGINS", "https://a.org, https://b.org")
    assert Settings(_env_file=None).cors_origins == ["https://a.org", "https://b.org"]


def test_log_level_is_lower_cased(monkeypatch):
    monkeypatch.setenv("DYAD_LOG_LEVEL", "DEBUG")
    assert Settings(_env_file=None).log_level == "debug"


def test_rate_limit_and_max_body_bytes_are_read_from_the_environment(monkeypatch):
    monkeypatch.setenv("DYAD_RATE_LIMIT", "100/second")
    monkeypatch.setenv("DYAD_MAX_BODY_BYTES", "2048")
    settings = Settings(_env_file=None)
    assert settings.rate_limit == "100/second"
    assert settings.max_body_bytes == 2048


@pytest.mark.parametrize("value", ["off", "OFF", "", "none"])
def test_a_rate_limit_of_off_means_no_limit(monkeypatch, value):
    monkeypatch.setenv("DYAD_RATE_LIMIT", value)
    assert Settings(_env_file=None).rate_limit is None


def test_limits_and_timeouts_have_safe_defaults(monkeypatch):
    for name in ("RATE_LIMIT", "STATEMENT_TIMEOUT", "MAX_IMPORT_BYTES", "CONCURRENT_READS"):
        monkeypatch.delenv(f"DYAD_{name}", raising=False)
    settings = Settings(_env_file=None)
    assert settings.rate_limit == "600/minute"
    assert settings.statement_timeout == 10.0
    assert settings.max_import_bytes == 200 * 1024 * 1024
    assert settings.concurrent_reads == 2


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DYAD_PUBLIC_READ", "maybe"),
        ("DYAD_MAX_BODY_BYTES", "-1"),
        ("DYAD_MAX_BODY_BYTES", "0"),
        ("DYAD_RATE_LIMIT", "lots"),
        ("DYAD_RATE_LIMIT", "0/minute"),
        ("DYAD_RATE_LIMIT", "10/fortnight"),
        ("DYAD_STATEMENT_TIMEOUT", "0"),
        ("DYAD_MAX_IMPORT_BYTES", "none"),
        ("DYAD_DATABASE_URL", "mysql://x"),
        ("DYAD_LOG_LEVEL", "loud"),
        ("DYAD_CONCURRENT_READS", "0"),
    ],
)
def test_bad_value_is_refused_with_one_line_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    message = describe_error(caught.value)
    assert variable in message
    assert "\n" not in message
    assert message.strip() == message and message


def test_two_bad_values_are_both_named_on_one_line(monkeypatch):
    monkeypatch.setenv("DYAD_PUBLIC_READ", "maybe")
    monkeypatch.setenv("DYAD_LOG_LEVEL", "loud")
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None)
    message = describe_error(caught.value)
    assert "DYAD_PUBLIC_READ" in message
    assert "DYAD_LOG_LEVEL" in message
    assert "\n" not in message
