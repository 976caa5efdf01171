"""The pipeline as a Prefect 3 flow: one task per step, references between them.

Each task wraps one `steps.run_*` function and returns what it returns (a lake path,
an MLflow run id, a dict), persisted as JSON so the API can hand results back; no
data frame ever becomes a task result. Deployments (a local `process` work pool and a
`kubernetes` one, both on `steps.SCHEDULE`) live in prefect.yaml at the project root.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Literal, cast
from uuid import UUID

from prefect import Task, flow, get_client, task
from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterFlowRunId
from prefect.client.schemas.objects import StateType, TaskRun
from prefect.client.schemas.sorting import TaskRunSort

from ..settings import PROJECT_NAME
from . import steps
from .steps import MAX_RETRY_DELAY, RETRY_DELAY, STEPS, PipelineParams, RunOutcome, StepState

FLOW_NAME = f"{PROJECT_NAME}-training"
# "" keeps the worker's DATA_SOURCE; the others are Settings.data_source's choices.
DataSource = Literal["", "sample", "file", "duckdb"]
# How long the API's view of the task runs must stay unchanged before it is final (below).
SETTLE_SECONDS = 1.0
_STATES: dict[StateType | None, StepState] = {
    StateType.COMPLETED: "succeeded",
    StateType.FAILED: "failed",
    StateType.CRASHED: "failed",
}


def retry_delays(step: str) -> list[float]:
    """Exponential back-off (RETRY_DELAY x 2^n, capped at MAX_RETRY_DELAY), one per retry."""
    return [
        min(RETRY_DELAY * 2**attempt, MAX_RETRY_DELAY).total_seconds()
        for attempt in range(steps.retries(step))
    ]


def _options(step: str) -> dict[str, Any]:
    """The @task options of `step`: its name, retries and how its result is kept."""
    # Results are references, small enough to persist as JSON, keyed by flow run and
    # step: a new flow run runs every step (no cache across runs), while a retried flow
    # run finds its completed steps' results and resumes after them.
    return {
        "name": step,
        "retries": steps.retries(step),
        "retry_delay_seconds": retry_delays(step),
        "persist_result": True,
        "result_storage_key": f"{{flow_run.id}}/{step}.json",
        "result_serializer": "json",
        "log_prints": False,
    }


ingest = task(**_options("ingest"))(steps.run_ingest)
validate = task(**_options("validate"))(steps.run_validate)
train = task(**_options("train"))(steps.run_train)
evaluate = task(**_options("evaluate"))(steps.run_evaluate)
register = task(**_options("register"))(steps.run_register)
TASKS: Mapping[str, Task[..., Any]] = {
    "ingest": ingest,
    "validate": validate,
    "train": train,
    "evaluate": evaluate,
    "register": register,
}


@flow(name=FLOW_NAME, log_prints=False, validate_parameters=True)
def training_pipeline(
    data_source: DataSource = "",
    data_path: str = "",
    model_params: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Ingest, validate, train, evaluate, register; a failing task fails the run there."""
    raw = ingest(data_source, data_path)
    validated = validate(raw)
    run_id = train(validated, model_params)
    evaluate(run_id)
    return register(run_id)


def _word(run: TaskRun | None) -> StepState:
    """Completed -> succeeded, Failed/Crashed -> failed; anything else, or no run -> not run."""
    return _STATES.get(run.state_type if run is not None else None, "not run")


def _settled(runs: Mapping[str, TaskRun], flow_state: StateType | None) -> bool:
    """Whether the task runs the API shows account for the flow run's final state."""
    if not all(run.state is not None and run.state.is_final() for run in runs.values()):
        return False
    if flow_state == StateType.COMPLETED:
        return set(runs) == set(STEPS)
    return any(_word(run) == "failed" for run in runs.values())


def _task_runs(flow_run_id: UUID, flow_state: StateType | None) -> dict[str, TaskRun]:
    """Each step's task run in the flow run, as Prefect's API records it.

    Prefect 3 records task runs from the events the engine emits, so the API may lag
    the flow run by a moment: poll until the runs account for the flow run's final
    state, or until they have stopped changing (a run that failed before any task).
    """
    names = {task.task_key: name for name, task in TASKS.items()}
    query = TaskRunFilter(flow_run_id=TaskRunFilterFlowRunId(any_=[flow_run_id]))
    # Oldest first, so a step's latest run (after a flow-run retry) wins.
    order = TaskRunSort.EXPECTED_START_TIME_ASC
    last: dict[str, StateType | None] | None = None
    stable_since = time.monotonic()
    with get_client(sync_client=True) as client:
        while True:
            runs = {
                names[run.task_key]: run
                for run in client.read_task_runs(task_run_filter=query, sort=order)
                if run.task_key in names
            }
            if _settled(runs, flow_state):
                return runs
            seen = {name: run.state_type for name, run in runs.items()}
            if seen != last:
                last, stable_since = seen, time.monotonic()
            elif time.monotonic() - stable_since >= SETTLE_SECONDS:
                return runs
            time.sleep(0.1)


def run_local(params: PipelineParams) -> RunOutcome:
    """Run the flow once in this process and report it as Prefect's API recorded it.

    Without PREFECT_API_URL, Prefect starts a temporary local server for the run.
    """
    state = training_pipeline(
        # Prefect validates the value against DataSource before any task runs.
        data_source=cast(DataSource, params.data_source),
        data_path=params.data_path,
        model_params=dict(params.model_params),
        return_state=True,
    )
    flow_run_id = state.state_details.flow_run_id
    if flow_run_id is None:
        return RunOutcome(succeeded=False, steps=dict.fromkeys(STEPS, "not run"))
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
    runs = _task_runs(flow_run_id, flow_run.state_type)
    trained = runs.get("train")
    run_id = (
        str(trained.state.result())
        if trained is not None and trained.state is not None and trained.state.is_completed()
        else None
    )
    return RunOutcome(
        succeeded=flow_run.state_type == StateType.COMPLETED,
        steps={name: _word(runs.get(name)) for name in STEPS},
        run_id=run_id,
    )
