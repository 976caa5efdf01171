"""The pipeline as Dagster software-defined assets, with its job, schedule and run config.

One asset per step: each asset's value is the reference its step returns (a lake
partition path, an MLflow run id, the test metrics, the registration), so the I/O
manager stores a few bytes per materialization and the data stays in the lake and in
MLflow. Assets rather than ops + a job because each step produces a durable thing the
UI can show, lineage included, and any one of them can be re-materialized from the
stored references of the ones upstream.

`dagster dev -m <package>.orchestration.dagster_defs` serves `defs`; `run_local` runs the
same job in this process on an ephemeral instance.
"""

# No `from __future__ import annotations`: Dagster reads the config and input types
# of the asset functions from their live annotations.
from collections.abc import Mapping
from typing import Any

import dagster as dg
from pydantic import Field

from . import steps

JOB_NAME = "training_pipeline"
GROUP = "training"


class IngestConfig(dg.Config):
    """Where ingest reads from; empty strings keep the worker's DATA_SOURCE / DATA_PATH."""

    data_source: str = Field(default="", description="sample, file or duckdb")
    data_path: str = Field(default="", description="CSV or Parquet file, for data_source=file")


class TrainConfig(dg.Config):
    """Model hyper-parameters for this run, on top of the framework defaults."""

    model_params: dict[str, Any] = Field(
        default_factory=dict, description='e.g. {"learning_rate": 0.05}'
    )


def _retry_policy(step: str) -> dg.RetryPolicy | None:
    """Exponential back-off (30 s, 60 s, 120 s) for steps that touch a store; None otherwise.

    Dagster's policy has no ceiling: RETRIES x RETRY_DELAY keep the last delay under
    steps.MAX_RETRY_DELAY (the tests check it).
    """
    if not steps.retries(step):
        return None
    return dg.RetryPolicy(
        max_retries=steps.retries(step),
        delay=steps.RETRY_DELAY.total_seconds(),
        backoff=dg.Backoff.EXPONENTIAL,
    )


@dg.asset(group_name=GROUP, retry_policy=_retry_policy("ingest"), kinds={"parquet"})
def ingest(context: dg.AssetExecutionContext, config: IngestConfig) -> str:
    """The raw partition the source was landed in."""
    path = steps.run_ingest(config.data_source, config.data_path)
    context.add_output_metadata({"path": dg.MetadataValue.path(path)})
    return path


@dg.asset(group_name=GROUP, retry_policy=_retry_policy("validate"), kinds={"parquet"})
def validate(context: dg.AssetExecutionContext, ingest: str) -> str:
    """The validated partition; bad data raises here and nothing downstream runs."""
    path = steps.run_validate(ingest)
    context.add_output_metadata({"path": dg.MetadataValue.path(path)})
    return path


@dg.asset(group_name=GROUP, retry_policy=_retry_policy("train"), kinds={"mlflow"})
def train(context: dg.AssetExecutionContext, config: TrainConfig, validate: str) -> str:
    """The MLflow run id of the model trained on the validated partition."""
    run_id = steps.run_train(validate, config.model_params)
    context.add_output_metadata({"mlflow_run_id": run_id})
    return run_id


@dg.asset(group_name=GROUP, retry_policy=_retry_policy("evaluate"), kinds={"mlflow"})
def evaluate(context: dg.AssetExecutionContext, train: str) -> dict[str, float]:
    """The run's test metrics."""
    metrics = steps.run_evaluate(train)
    context.add_output_metadata(dict(metrics))
    return metrics


@dg.asset(
    group_name=GROUP,
    retry_policy=_retry_policy("register"),
    kinds={"mlflow"},
    # Ordering only: a run is registered once it has been evaluated.
    deps=[evaluate],
)
def register(context: dg.AssetExecutionContext, train: str) -> dict[str, Any]:
    """The registered version and whether it was promoted to @champion."""
    registration = steps.run_register(train)
    context.add_output_metadata({"registration": dg.MetadataValue.json(registration)})
    return registration


ASSETS = [ingest, validate, train, evaluate, register]

training_job = dg.define_asset_job(
    JOB_NAME,
    selection=dg.AssetSelection.assets(*ASSETS),
    description="ingest → validate → train → evaluate → register",
)

training_schedule = dg.ScheduleDefinition(
    name=f"{JOB_NAME}_schedule",
    job=training_job,
    cron_schedule=steps.SCHEDULE,
    execution_timezone="UTC",
    # The daemon (dagster dev, the Helm chart's) runs it without a click in the UI.
    default_status=dg.DefaultScheduleStatus.RUNNING,
)

defs = dg.Definitions(
    assets=ASSETS,
    jobs=[training_job],
    schedules=[training_schedule],
    # Pickles each reference under the instance's storage dir ($DAGSTER_HOME/storage).
    resources={"io_manager": dg.FilesystemIOManager()},
)


def run_config(params: steps.PipelineParams) -> dg.RunConfig:
    """The run config that carries `params` to the ingest and train assets."""
    return dg.RunConfig(
        ops={
            "ingest": IngestConfig(data_source=params.data_source, data_path=params.data_path),
            "train": TrainConfig(model_params=dict(params.model_params)),
        }
    )


def _step_states(instance: dg.DagsterInstance, run_id: str) -> Mapping[str, steps.StepState]:
    """Each step's final state, as recorded in the instance's event log."""
    entries = instance.all_logs(
        run_id, of_type={dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE}
    )
    states: dict[str, steps.StepState] = dict.fromkeys(steps.STEPS, "not run")
    for entry in entries:
        event = entry.dagster_event
        if event is not None and event.step_key in states:
            succeeded = event.event_type == dg.DagsterEventType.STEP_SUCCESS
            states[event.step_key] = "succeeded" if succeeded else "failed"
    return states


def run_local(params: steps.PipelineParams) -> steps.RunOutcome:
    """Run the job once in this process, on a throwaway instance, and report it."""
    with dg.DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def(JOB_NAME).execute_in_process(
            run_config=run_config(params), instance=instance, raise_on_error=False
        )
        states = _step_states(instance, result.run_id)
        run = instance.get_run_by_id(result.run_id)
        succeeded = run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        run_id = str(result.output_for_node("train")) if states["train"] == "succeeded" else None
    return steps.RunOutcome(succeeded=succeeded, steps=states, run_id=run_id)
