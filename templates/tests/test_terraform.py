"""deploy/aws/terraform: formatted, valid, its own tests pass, and it applies to an AWS emulator.

`terraform test` (tests/*.tftest.hcl) checks what the configuration asks AWS for against
a mocked provider; the emulator tests apply the dev environment to moto and ask it, with
boto3, whether what exists is what the design promises: an immutable, scanned image
registry, private encrypted versioned buckets that refuse plain HTTP, an encrypted alarm
topic, a cost budget, and a CI role only the configured OIDC subjects can assume.
"""

from __future__ import annotations

import json
import subprocess
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from .plugins.aws import TERRAFORM_DIR, EmulatedDeployment, Terraform

# Terraform and the emulator take a minute or two: `pytest -m "not terraform"` leaves them out.
pytestmark = pytest.mark.terraform

# moto's fixed account.
EMULATED_ACCOUNT = "123456789012"


@pytest.fixture(scope="module")
def initialised(terraform: Terraform) -> Path:
    """A copy of the configuration with its providers and modules installed, no backend."""
    workdir = terraform.copy("offline")
    terraform.init(workdir, "-backend=false")
    return workdir


def test_formatted(terraform: Terraform) -> None:
    result = terraform.run(TERRAFORM_DIR, "fmt", "-check", "-recursive", "-diff")
    assert result.returncode == 0, f"run `terraform fmt -recursive`:\n{result.stdout}"


def test_valid(terraform: Terraform, initialised: Path) -> None:
    result = terraform.run(initialised, "validate")
    assert result.returncode == 0, result.stderr


def test_terraform_tests_pass(mocked_tests: Future[subprocess.CompletedProcess[str]]) -> None:
    """Every tests/*.tftest.hcl (the shared modules' and the target's), mocked provider."""
    result = mocked_tests.result()
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    assert " 0 failed" in result.stdout


# ── Applied to moto ────────────────────────────────────────────────────────────────────


def bucket_names(deployment: EmulatedDeployment) -> list[str]:
    return [deployment.outputs["models_bucket"], deployment.outputs["lake_bucket"]]


def test_names_carry_project_and_environment(emulator_apply: EmulatedDeployment) -> None:
    name = f"{emulator_apply.variables['project']}-dev"
    assert emulator_apply.variables["environment"] == "dev"
    assert emulator_apply.outputs["registry_url"].endswith(f"/{name}")
    assert bucket_names(emulator_apply) == [
        f"{name}-models-{EMULATED_ACCOUNT}",
        f"{name}-lake-{EMULATED_ACCOUNT}",
    ]
    models = emulator_apply.outputs["models_bucket"]
    assert emulator_apply.outputs["model_uri"] == f"s3://{models}/models/champion/"


def test_registry_is_immutable_scanned_and_encrypted(
    emulator_apply: EmulatedDeployment,
) -> None:
    ecr = emulator_apply.client("ecr")
    name = emulator_apply.outputs["registry_url"].rsplit("/", 1)[1]
    (repository,) = ecr.describe_repositories(repositoryNames=[name])["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True
    assert repository["encryptionConfiguration"]["encryptionType"] == "KMS"
    rules = json.loads(ecr.get_lifecycle_policy(repositoryName=name)["lifecyclePolicyText"])
    assert [rule["action"]["type"] for rule in rules["rules"]] == ["expire", "expire"]


def project_key_arn(deployment: EmulatedDeployment) -> str:
    """The project key, as the models bucket's default encryption names it."""
    s3 = deployment.client("s3")
    encryption = s3.get_bucket_encryption(Bucket=deployment.outputs["models_bucket"])
    (rule,) = encryption["ServerSideEncryptionConfiguration"]["Rules"]
    arn: str = rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
    return arn


def test_buckets_are_private_versioned_encrypted_and_tls_only(
    emulator_apply: EmulatedDeployment,
) -> None:
    s3 = emulator_apply.client("s3")
    key = emulator_apply.client("kms").describe_key(KeyId=project_key_arn(emulator_apply))
    assert key["KeyMetadata"]["KeyState"] == "Enabled"
    for bucket in bucket_names(emulator_apply):
        assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
        encryption = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]
        (rule,) = encryption["Rules"]
        default = rule["ApplyServerSideEncryptionByDefault"]
        assert default["SSEAlgorithm"] == "aws:kms"
        assert default["KMSMasterKeyID"] == key["KeyMetadata"]["Arn"]
        blocked = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
        assert blocked == dict.fromkeys(
            ["BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"],
            True,
        )
        policy = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
        assert denies_plain_http(policy), f"{bucket} accepts requests without TLS"


def denies_plain_http(policy: dict[str, Any]) -> bool:
    return any(
        statement["Effect"] == "Deny"
        and statement["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
        for statement in policy["Statement"]
    )


def test_key_rotates(emulator_apply: EmulatedDeployment) -> None:
    kms = emulator_apply.client("kms")
    assert kms.get_key_rotation_status(KeyId=project_key_arn(emulator_apply))["KeyRotationEnabled"]


def test_alarm_topic_is_encrypted(emulator_apply: EmulatedDeployment) -> None:
    sns = emulator_apply.client("sns")
    topic = emulator_apply.outputs["alarm_topic_arn"]
    attributes = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert attributes["KmsMasterKeyId"] == project_key_arn(emulator_apply)
    policy = json.loads(attributes["Policy"])
    publishers = {
        service
        for statement in policy["Statement"]
        if statement["Effect"] == "Allow" and "sns:Publish" in statement["Action"]
        for service in statement["Principal"].get("Service", [])
    }
    assert publishers == {"cloudwatch.amazonaws.com", "budgets.amazonaws.com"}


def test_ci_role_trusts_the_oidc_issuer_for_the_dev_subjects_only(
    emulator_apply: EmulatedDeployment,
) -> None:
    iam = emulator_apply.client("iam")
    issuer = emulator_apply.variables["ci_oidc_issuer_url"].removeprefix("https://")
    subjects = emulator_apply.variables["ci_oidc_subjects"]
    role_name = emulator_apply.outputs["ci_role_arn"].rsplit("/", 1)[1]
    trust = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
    if isinstance(trust, str):
        trust = json.loads(trust)
    (statement,) = trust["Statement"]
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    provider_arn = statement["Principal"]["Federated"]
    assert provider_arn.endswith(f":oidc-provider/{issuer}")
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=provider_arn)
    assert provider["ClientIDList"] == [emulator_apply.variables["ci_oidc_audience"]]
    allowed = statement["Condition"]["StringEquals"][f"{issuer}:sub"]
    allowed = [allowed] if isinstance(allowed, str) else allowed
    assert sorted(allowed) == sorted(subjects["dev"])


def test_budget_notifies_the_alarm_topic(emulator_apply: EmulatedDeployment) -> None:
    budgets = emulator_apply.client("budgets")
    name = f"{emulator_apply.variables['project']}-dev-monthly"
    budget = budgets.describe_budget(AccountId=EMULATED_ACCOUNT, BudgetName=name)["Budget"]
    assert budget["TimeUnit"] == "MONTHLY"
    assert float(budget["BudgetLimit"]["Amount"]) == emulator_apply.variables["monthly_budget_usd"]
    notifications = budgets.describe_notifications_for_budget(
        AccountId=EMULATED_ACCOUNT, BudgetName=name
    )["Notifications"]
    assert {n["NotificationType"] for n in notifications} == {"ACTUAL", "FORECASTED"}
