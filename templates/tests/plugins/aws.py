"""Test setup of the AWS deployment: Terraform, and moto's AWS emulator on loopback.

deploy/aws/terraform is applied for real, once per session, to a copy that points the
AWS provider at a moto server on 127.0.0.1 (emulator_override.tf) and keeps its state
locally: no account, no credentials, nothing leaves the machine. The tests then ask the
emulator what was created, with boto3, the way an operator would ask AWS.

Terraform must not download anything here: the AWS provider comes from the filesystem
mirror named by TF_PLUGIN_MIRROR (`terraform providers mirror <dir>` fills one). Without
terraform or the mirror, the Terraform tests are skipped and say why.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

TERRAFORM_DIR = Path(__file__).resolve().parents[2] / "deploy" / "aws" / "terraform"
MIRROR_VARIABLE = "TF_PLUGIN_MIRROR"


# The region and image the emulated dev environment is applied with.
REGION = "eu-west-1"
TEST_IMAGE_TAG = "test-0001"

# Every AWS API the root module and any target module calls: all of them go to moto.
EMULATED_SERVICES = (
    "applicationautoscaling",
    "budgets",
    "cloudwatch",
    "codedeploy",
    "ec2",
    "ecr",
    "ecs",
    "eks",
    "elbv2",
    "events",
    "iam",
    "kms",
    "logs",
    "s3",
    "sagemaker",
    "scheduler",
    "sns",
    "sqs",
    "sts",
)

# Generous bounds: an apply against moto takes well under a minute on two cores.
INIT_TIMEOUT = 120
APPLY_TIMEOUT = 600

# Wall-clock seconds of Terraform's long runs (the mocked tests, then init, plan, apply
# and destroy against the emulator), printed at the end of the session.
SECONDS: dict[str, float] = {}


@dataclass(frozen=True)
class Terraform:
    """The terraform binary, the provider mirror it installs from, and a scratch directory.

    Every run is isolated from the user's Terraform and AWS setup: its CLI configuration,
    data directories, temporary files and AWS configuration live in `scratch` (a pytest
    temporary directory), so the tests leave nothing behind and read nothing of the user's.
    """

    binary: Path
    mirror: Path
    scratch: Path
    # Provider plugins listen on Unix sockets in TMPDIR (see short_temp_root).
    sockets: Path

    def run(
        self, workdir: Path, command: str, *args: str, timeout: float = INIT_TIMEOUT
    ) -> subprocess.CompletedProcess[str]:
        """`terraform <command> <args>` in `workdir`, without colours (its data directory is
        named after `workdir`)."""
        env = {
            key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "TF_"))
        }
        env.update(
            CHECKPOINT_DISABLE="1",
            TF_IN_AUTOMATION="1",
            TF_INPUT="0",
            TF_CLI_CONFIG_FILE=str(self.scratch / "terraformrc"),
            TF_DATA_DIR=str(self.scratch / "data" / workdir.name),
            # Provider plugins put their sockets in TMPDIR.
            TMPDIR=str(self.sockets),
            # No profile, shared file or instance metadata can supply real credentials.
            AWS_CONFIG_FILE=str(self.scratch / "aws-config"),
            AWS_SHARED_CREDENTIALS_FILE=str(self.scratch / "aws-credentials"),
            AWS_EC2_METADATA_DISABLED="true",
        )
        return subprocess.run(
            [str(self.binary), command, "-no-color", *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def init(self, workdir: Path, *args: str) -> None:
        """Install the providers (from the mirror only) and modules of `workdir`."""
        result = self.run(workdir, "init", "-input=false", f"-plugin-dir={self.mirror}", *args)
        assert result.returncode == 0, f"terraform init failed:\n{result.stderr}"

    def copy(self, name: str) -> Path:
        """A fresh copy of deploy/aws/terraform, without local state, to init and run in."""
        destination = self.scratch / "copies" / name
        shutil.copytree(
            TERRAFORM_DIR,
            destination,
            ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"),
        )
        return destination


def short_temp_root() -> str:
    """TMPDIR when its path leaves room for a socket's name, else /tmp.

    A Unix socket's path stops at 107 bytes, and a provider's is its folder plus about 30:
    pytest's and CI's temporary folders can be longer, and then the provider cannot start
    ("failed to negotiate the initial go-plugin protocol handshake").
    """
    default = tempfile.gettempdir()
    return default if len(default) <= 48 else "/tmp"


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terraform]:
    """The terraform binary, with the provider mirror; skips (saying why) without them."""
    found = shutil.which("terraform")
    if found is None:
        pytest.skip("terraform is not on PATH: install Terraform >= 1.10 to run these tests")
    mirror = os.environ.get(MIRROR_VARIABLE, "")
    if not mirror:
        pytest.skip(
            f"{MIRROR_VARIABLE} is not set: point it at a provider mirror holding hashicorp/aws"
            " (`terraform providers mirror <dir>` in deploy/aws/terraform) to run these offline"
        )
    if not (Path(mirror) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        pytest.skip(f"{MIRROR_VARIABLE}={mirror} holds no registry.terraform.io/hashicorp/aws")
    scratch = tmp_path_factory.mktemp("terraform")
    # An empty CLI configuration: the user's ~/.terraformrc (mirrors, credentials) is not read.
    (scratch / "terraformrc").write_text("", encoding="utf-8")
    sockets = Path(tempfile.mkdtemp(prefix="tf-", dir=short_temp_root()))
    try:
        yield Terraform(binary=Path(found), mirror=Path(mirror), scratch=scratch, sockets=sockets)
    finally:
        shutil.rmtree(sockets, ignore_errors=True)


@pytest.fixture(scope="session")
def mocked_tests(terraform: Terraform) -> Iterator[Future[subprocess.CompletedProcess[str]]]:
    """`terraform test` (tests/*.tftest.hcl, mocked provider) in a copy, in a thread.

    It plans on the CPU for most of a minute, while an apply to the emulator mostly waits
    on the provider's pollers (a load balancer is polled from 30 s after its creation):
    `emulator_apply` asks for this fixture, so the two overlap.
    """
    workdir = terraform.copy("mocked")

    def init_and_test() -> subprocess.CompletedProcess[str]:
        with timed(SECONDS, "mocked tests (beside the apply)"):
            terraform.init(workdir, "-backend=false")
            return terraform.run(workdir, "test", timeout=APPLY_TIMEOUT)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="terraform-test") as pool:
        yield pool.submit(init_and_test)


def free_loopback_port() -> int:
    """A port nothing listens on now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def fill_moto_gaps() -> None:
    """Teach moto (5.2) the few calls the AWS provider makes that it lacks, in memory.

    Without them the provider retries moto's 500 for minutes, or destroy fails:
    - Application Auto Scaling has no TagResource, UntagResource, ListTagsForResource (the
      provider reads a scalable target's tags after creating it);
    - Budgets has no tag calls and no DescribeSubscribersForNotification (the provider
      reads both for aws_budgets_budget);
    - CodeDeploy has no DeleteDeploymentGroup, DeleteApplication;
    - S3 PutBucketLogging fails (500) when the log bucket's policy has a statement with
      `"Principal": "*"` (a TLS-only Deny): moto reads every principal as a map.
    A moto release that implements a call keeps its own.
    """
    from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
    from moto.budgets.responses import BudgetsResponse
    from moto.codedeploy.responses import CodeDeployResponse
    from moto.s3.models import FakeBucket

    def tag_calls(tags_field: str, keys_field: str, as_list: bool) -> list[Callable[..., str]]:
        """TagResource, UntagResource, ListTagsForResource of a JSON API, on a dict.

        Application Auto Scaling sends tags as a map ("Tags"); Budgets as a list of
        {"Key", "Value"} ("ResourceTags").
        """
        tags: dict[str, dict[str, str]] = {}

        def tag_resource(self: Any) -> str:
            body = json.loads(self.body)
            given = body.get(tags_field) or ([] if as_list else {})
            pairs = {t["Key"]: t["Value"] for t in given} if as_list else dict(given)
            tags.setdefault(body["ResourceARN"], {}).update(pairs)
            return "{}"

        def untag_resource(self: Any) -> str:
            body = json.loads(self.body)
            for key in body.get(keys_field) or []:
                tags.get(body["ResourceARN"], {}).pop(key, None)
            return "{}"

        def list_tags_for_resource(self: Any) -> str:
            listed = tags.get(json.loads(self.body)["ResourceARN"], {})
            if as_list:
                return json.dumps({tags_field: [{"Key": k, "Value": v} for k, v in listed.items()]})
            return json.dumps({tags_field: listed})

        return [tag_resource, untag_resource, list_tags_for_resource]

    def describe_subscribers_for_notification(self: Any) -> str:
        body = json.loads(self.body)
        budget = self.backend.budgets[body["AccountId"]][body["BudgetName"]]
        fields = ("NotificationType", "ComparisonOperator", "Threshold", "ThresholdType")
        for notification in budget.notifications:
            if all(notification.details.get(f) == body["Notification"].get(f) for f in fields):
                return json.dumps({"Subscribers": notification.subscribers})
        return json.dumps({"Subscribers": []})

    def delete_deployment_group(self: Any) -> str:
        body = json.loads(self.body)
        groups = self.codedeploy_backend.deployment_groups.get(body["applicationName"], {})
        groups.pop(body["deploymentGroupName"], None)
        return json.dumps({"hooksNotCleanedUp": []})

    def delete_application(self: Any) -> str:
        body = json.loads(self.body)
        self.codedeploy_backend.applications.pop(body["applicationName"], None)
        self.codedeploy_backend.deployment_groups.pop(body["applicationName"], None)
        return "{}"

    for response, calls in [
        (ApplicationAutoScalingResponse, tag_calls("Tags", "TagKeys", as_list=False)),
        (
            BudgetsResponse,
            [
                *tag_calls("ResourceTags", "ResourceTagKeys", as_list=True),
                describe_subscribers_for_notification,
            ],
        ),
        (CodeDeployResponse, [delete_deployment_group, delete_application]),
    ]:
        for call in calls:
            if not hasattr(response, call.__name__):
                setattr(response, call.__name__, call)

    check_policy: Callable[..., bool] = FakeBucket._log_permissions_enabled_policy
    if not getattr(check_policy, "filled_gap", False):

        def log_permissions_enabled_policy(target_bucket: Any, target_prefix: str | None) -> bool:
            """moto's check, shown only the statements whose principal is a map."""
            if not target_bucket.policy:
                return False
            policy = json.loads(target_bucket.policy)
            policy["Statement"] = [
                s for s in policy["Statement"] if isinstance(s.get("Principal"), dict)
            ]
            view = SimpleNamespace(
                policy=json.dumps(policy).encode(),
                partition=target_bucket.partition,
                name=target_bucket.name,
            )
            return check_policy(view, target_prefix)

        setattr(log_permissions_enabled_policy, "filled_gap", True)  # noqa: B010
        setattr(  # noqa: B010
            FakeBucket,
            "_log_permissions_enabled_policy",
            staticmethod(log_permissions_enabled_policy),
        )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """moto's AWS emulator on a free loopback port, for the session; yields its URL."""
    from moto.server import ThreadedMotoServer

    fill_moto_gaps()
    # One line per request would bury a failure's own output.
    requests_log = logging.getLogger("werkzeug")
    level = requests_log.level
    requests_log.setLevel(logging.WARNING)
    port = free_loopback_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    with pytest.MonkeyPatch.context() as patch:
        # AWS's managed policies (EKS's node and cluster policies are attached by ARN): moto
        # loads them only when asked, when its IAM backend starts.
        patch.setenv("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
        server.start()
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.stop()
            requests_log.setLevel(level)


def emulator_override(endpoint: str, state: Path) -> str:
    """Terraform override: the AWS provider talks to moto with dummy keys; state stays local."""
    endpoints = "\n".join(f'    {service} = "{endpoint}"' for service in EMULATED_SERVICES)
    return f"""\
# Written by tests/plugins/aws.py in a temporary copy: the provider calls moto, not AWS.
provider "aws" {{
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  s3_use_path_style           = true

  endpoints {{
{endpoints}
  }}
}}

terraform {{
  backend "local" {{
    path = "{state.as_posix()}"
  }}
}}
"""


# Terraform override for modules/storage in the emulator's copy. The AWS provider waits
# about 55 s after writing each S3 lifecycle configuration (ten equal reads 5 s apart, on
# AWS as on moto), the longest step of the apply: the emulator leaves the rules out, and
# tests/core.tftest.hcl checks what they say.
STORAGE_OVERRIDE = """\
# Written by tests/plugins/aws.py in a temporary copy: no S3 lifecycle rules in the emulator.
resource "aws_s3_bucket_lifecycle_configuration" "data" {
  for_each = {}
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  count = 0
}
"""


@dataclass
class EmulatedDeployment:
    """The dev environment as applied to moto: what Terraform was given and returned, and
    boto3 clients to ask the emulator what exists."""

    # `terraform output -json`, name -> value.
    outputs: dict[str, Any]
    # The root module's input variables as planned (tfvars files, defaults), name -> value.
    variables: dict[str, Any]
    endpoint_url: str
    region: str
    workdir: Path

    def client(self, service: str) -> Any:
        """A boto3 client of `service` bound to the emulator."""
        import boto3

        session = boto3.session.Session(
            aws_access_key_id="test", aws_secret_access_key="test", region_name=self.region
        )
        return session.client(service, endpoint_url=self.endpoint_url)


@contextmanager
def timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    """The block's duration, recorded under `step`."""
    started = time.monotonic()
    try:
        yield
    finally:
        seconds[step] = round(time.monotonic() - started, 1)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One line: what Terraform's long runs cost, step by step."""
    if SECONDS:
        steps = ", ".join(f"{step} {seconds:.0f} s" for step, seconds in SECONDS.items())
        terminalreporter.write_line(f"terraform: {steps}")


@pytest.fixture(scope="session")
def emulator_apply(
    terraform: Terraform,
    moto_server: str,
    mocked_tests: Future[subprocess.CompletedProcess[str]],
) -> Iterator[EmulatedDeployment]:
    """deploy/aws/terraform applied with envs/dev.tfvars to moto; destroyed after the session.

    Whatever happens to the apply, what it created is destroyed, and a failed destroy
    fails the session's teardown. `mocked_tests` runs meanwhile (see there).
    """
    workdir = terraform.copy("emulator")
    (workdir / "emulator_override.tf").write_text(
        emulator_override(moto_server, workdir.parent / "emulator.tfstate"), encoding="utf-8"
    )
    (workdir / "modules" / "storage" / "emulator_override.tf").write_text(
        STORAGE_OVERRIDE, encoding="utf-8"
    )
    variables = [
        "-var-file=envs/dev.tfvars",
        f"-var=region={REGION}",
        f"-var=image_tag={TEST_IMAGE_TAG}",
        # A target leaves out what moto cannot create (e.g. EKS access entries, add-ons).
        "-var=emulator=true",
    ]
    seconds = SECONDS
    with timed(seconds, "init"):
        terraform.init(workdir)

    def run(command: str, *args: str) -> subprocess.CompletedProcess[str]:
        return terraform.run(workdir, command, *args, timeout=APPLY_TIMEOUT)

    try:
        with timed(seconds, "plan"):
            planned = run("plan", "-input=false", "-out=emulator.tfplan", *variables)
        assert planned.returncode == 0, f"terraform plan against moto failed:\n{planned.stderr}"
        plan = run("show", "-json", "emulator.tfplan")
        assert plan.returncode == 0, f"terraform show failed:\n{plan.stderr}"
        with timed(seconds, "apply"):
            applied = run("apply", "-input=false", "emulator.tfplan")
        assert applied.returncode == 0, f"terraform apply against moto failed:\n{applied.stderr}"
        shown = run("output", "-json")
        assert shown.returncode == 0, f"terraform output failed:\n{shown.stderr}"
        yield EmulatedDeployment(
            outputs={name: item["value"] for name, item in json.loads(shown.stdout).items()},
            variables={
                name: item["value"] for name, item in json.loads(plan.stdout)["variables"].items()
            },
            endpoint_url=moto_server,
            region=REGION,
            workdir=workdir,
        )
    finally:
        with timed(seconds, "destroy"):
            destroyed = run("destroy", "-auto-approve", "-input=false", *variables)
        assert destroyed.returncode == 0, (
            f"terraform destroy against moto failed:\n{destroyed.stderr}"
        )
