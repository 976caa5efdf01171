"""The training pipeline as an Airflow 3 DAG: five TaskFlow tasks over `steps`.

Tasks hand each other references only (a partition path, an MLflow run id, a dict of
metrics) through XCom; the data stays in the lake and in MLflow. The DAG processor finds
this DAG through `dags/training.py`; `run_local` runs it once with `dag.test()` on the
metadata database that AIRFLOW_HOME / AIRFLOW__DATABASE__SQL_ALCHEMY_CONN point at.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from airflow.models.dagrun import DagRun
from airflow.models.xcom import XComModel
from airflow.sdk import DAG, Param, dag, task
from airflow.utils import db
from airflow.utils.session import create_session
from airflow.utils.state import DagRunState, TaskInstanceState

from ..settings import PROJECT_NAME
from . import steps
from .steps import PipelineParams, RunOutcome, StepState

# Since Airflow 3.2 retry_exponential_backoff is a multiplier, not a flag: 2.0 doubles
# the delay on each retry (30 s, 60 s, 120 s, plus Airflow's jitter), up to MAX_RETRY_DELAY.
BACKOFF_MULTIPLIER = 2.0
_STATES: dict[str, StepState] = {
    TaskInstanceState.SUCCESS: "succeeded",
    TaskInstanceState.FAILED: "failed",
}


@dag(
    dag_id=PROJECT_NAME,
    description="ingest → validate → train → evaluate → register",
    schedule=steps.SCHEDULE,
    start_date=datetime(2025, 1, 1, tzinfo=UTC),
    catchup=False,
    # Runs share the local lake and artifacts/: never two at once.
    max_active_runs=1,
    params={
        "data_source": Param(
            "",
            type="string",
            enum=["", "sample", "file", "duckdb"],
            description="where ingest reads; empty keeps the worker's DATA_SOURCE",
        ),
        "data_path": Param(
            "", type="string", description="CSV or Parquet file for data_source=file"
        ),
        "model_params": Param(
            {}, type="object", description="hyper-parameters passed to the model"
        ),
    },
    # Every task gets this back-off; how many retries is per task (steps.retries).
    default_args={
        "retry_delay": steps.RETRY_DELAY,
        "retry_exponential_backoff": BACKOFF_MULTIPLIER,
        "max_retry_delay": steps.MAX_RETRY_DELAY,
    },
    tags=["training"],
)
def training() -> None:
    """Daily retraining; trigger with a conf to override the params."""

    @task(retries=steps.retries("ingest"))
    def ingest(params: dict[str, Any] | None = None) -> str:
        conf = params or {}
        return steps.run_ingest(conf.get("data_source", ""), conf.get("data_path", ""))

    @task(retries=steps.retries("validate"))
    def validate(raw_path: str) -> str:
        return steps.run_validate(raw_path)

    @task(retries=steps.retries("train"))
    def train(validated_path: str, params: dict[str, Any] | None = None) -> str:
        return steps.run_train(validated_path, (params or {}).get("model_params"))

    @task(retries=steps.retries("evaluate"))
    def evaluate(mlflow_run_id: str) -> dict[str, float]:
        return steps.run_evaluate(mlflow_run_id)

    @task(retries=steps.retries("register"))
    def register(mlflow_run_id: str) -> dict[str, Any]:
        return steps.run_register(mlflow_run_id)

    # Each call returns an XComArg, resolved to the upstream task's return value at run time.
    # (`run_id` would clash with Airflow's context key of that name.)
    raw: Any = ingest()
    validated: Any = validate(raw)
    mlflow_run_id: Any = train(validated)
    evaluate(mlflow_run_id) >> register(mlflow_run_id)


training_dag: DAG = training()


def _ensure_metadata_db() -> None:
    """`airflow db migrate` in-process: creates the schema once, a no-op when it is current."""
    db.upgradedb()


def run_local(params: PipelineParams) -> RunOutcome:
    """Run the DAG once with `dag.test()` and read every state back from Airflow's database.

    On first use dag.test() stores the DAG as parsed from AIRFLOW__CORE__DAGS_FOLDER, so
    that must be this project's dags/ (`make orchestrate` and the tests set it).
    """
    _ensure_metadata_db()
    conf = {
        "data_source": params.data_source,
        "data_path": params.data_path,
        "model_params": dict(params.model_params),
    }
    # dag.test() does not raise when a task fails: the states say what happened.
    dag_run: DagRun = training_dag.test(run_conf=conf)
    with create_session() as session:
        instances = {ti.task_id: ti.state for ti in dag_run.get_task_instances(session=session)}
        # upstream_failed, skipped or never scheduled: the step did not run.
        states = {step: _STATES.get(instances.get(step) or "", "not run") for step in steps.STEPS}
        run_id = None
        if states["train"] == "succeeded":
            row = session.execute(
                XComModel.get_many(
                    run_id=dag_run.run_id,
                    dag_ids=training_dag.dag_id,
                    task_ids="train",
                    key="return_value",
                ).with_only_columns(XComModel.value)
            ).first()
            run_id = XComModel.deserialize_value(row) if row else None
    return RunOutcome(succeeded=dag_run.state == DagRunState.SUCCESS, steps=states, run_id=run_id)
