"""Out of the laptop, tested without a cluster: the submitit launcher, a simulated 2-node SLURM
job, SLURM's requeue before the time limit, and slurm/train.sbatch.

A "simulated" SLURM job is this machine's processes given the environment `srun` gives a job's
tasks (SLURM_JOB_ID, SLURM_NTASKS, SLURM_PROCID, ...): Lightning's own SLURM support then sets up
DDP across them, as on a real cluster. `scontrol` and `srun` are stand-in scripts on PATH.
"""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from {{ cookiecutter.package_name }}.config import PROJECT_ROOT
from {{ cookiecutter.package_name }}.results import read_results

pytestmark = pytest.mark.slow  # each test starts training processes (Lightning's import: seconds)

TESTS = Path(__file__).resolve().parent
# One whole epoch, not debug=smoke: these tests count the results table's rows, and a debug run
# (a few batches) adds none.
SHORT = ["trainer.max_epochs=1", "logger=csv"]


def project_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a job: this project's code and test helpers importable, W&B offline."""
    search_path = [str(PROJECT_ROOT / "src"), str(TESTS), os.environ.get("PYTHONPATH", "")]
    return {
        **os.environ, "PYTHONPATH": os.pathsep.join(filter(None, search_path)),
        "WANDB_MODE": "offline",
        # The stand-in SLURM commands, then this environment's `python` (the sbatch script's).
        "PATH": os.pathsep.join([str(tmp_path / "bin"), str(Path(sys.executable).parent),
                                 os.environ["PATH"]]),
        **extra,
    }  # fmt: skip


def paths(data_dir: Path, root: Path) -> list[str]:
    return [f"paths.root_dir={root}", f"paths.data_dir={data_dir}", f"paths.log_dir={root}/outputs"]


def slurm_env(job_id: str, tasks: int, rank: int, port: int) -> dict[str, str]:
    """What srun gives task `rank` of a job of `tasks` tasks, one per node, on this machine."""
    return {
        "SLURM_JOB_ID": job_id, "SLURM_JOB_NAME": "train", "SLURM_NTASKS": str(tasks),
        "SLURM_NTASKS_PER_NODE": "1", "SLURM_JOB_NUM_NODES": str(tasks), "SLURM_NNODES": str(tasks),
        "SLURM_NODELIST": "localhost", "SLURM_PROCID": str(rank), "SLURM_LOCALID": "0",
        "SLURM_NODEID": str(rank), "MASTER_PORT": str(port),
    }  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def train_command(*overrides: str) -> list[str]:
    return [sys.executable, "-m", "{{ cookiecutter.package_name }}.train", *overrides]


def stand_in(tmp_path: Path, name: str, script: str) -> Path:
    """An executable `name` on the jobs' PATH, standing in for a SLURM command."""
    path = tmp_path / "bin" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"#!/bin/bash\n{script}\n")
    path.chmod(0o755)
    return path


def test_submitit_local_runs_a_two_job_sweep(data_dir: Path, tmp_path: Path) -> None:
    """hydra/launcher=submitit_local: the engine of hydra/launcher=slurm, run on this machine."""
    command = train_command(
        "-m", "hydra/launcher=submitit_local", *SHORT, *paths(data_dir, tmp_path),
        "model.optimizer.lr=0.01,0.001",
    )  # fmt: skip
    result = subprocess.run(command, env=project_env(tmp_path), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    table = read_results(tmp_path / "results" / "results.csv")
    assert sorted(table["overrides"].str.extract(r"lr=([0-9.]+)")[0]) == ["0.001", "0.01"]
    assert len(list((tmp_path / "outputs").rglob("checkpoints/best.ckpt"))) == 2


def test_simulated_two_node_job_trains_one_model(data_dir: Path, tmp_path: Path) -> None:
    """Two processes, one per 'node', as srun starts them: DDP over SLURM's variables, one row."""
    port = free_port()
    overrides = [*SHORT, *paths(data_dir, tmp_path), "trainer=ddp_cpu", "trainer.devices=1",
                 "+callbacks.weights._target_=cluster_helpers.SaveWeightsPerRank"]  # fmt: skip
    weights = tmp_path / "weights"
    weights.mkdir()
    envs = [project_env(tmp_path, WEIGHTS_DIR=str(weights), **slurm_env("4242", 2, rank, port))
            for rank in (0, 1)]  # fmt: skip
    output = {"stdout": subprocess.PIPE, "stderr": subprocess.STDOUT, "text": True}
    processes = [subprocess.Popen(train_command(*overrides), env=env, **output) for env in envs]
    outputs = [process.communicate(timeout=600)[0] for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs[0][-3000:]
    assert len(read_results(tmp_path / "results" / "results.csv")) == 1  # rank zero alone records
    (run,) = (tmp_path / "outputs" / "train").iterdir()  # one run folder, shared by both ranks
    assert run.name == "slurm-4242"  # named after the job: a requeued job finds it again
    rank0, rank1 = (torch.load(weights / f"rank{r}.pt") for r in (0, 1))
    assert rank0.keys() == rank1.keys()
    assert all(torch.equal(rank0[name], rank1[name]) for name in rank0)


def test_requeue_saves_asks_to_be_requeued_and_resumes(data_dir: Path, tmp_path: Path) -> None:
    """SLURM's warning signal before the time limit: save, `scontrol requeue`, then resume."""
    requeued = tmp_path / "scontrol-calls"
    stand_in(tmp_path, "scontrol", f'echo "$@" >> {requeued}')
    overrides = [
        "logger=csv", *paths(data_dir, tmp_path), "trainer=cpu", "trainer.max_epochs=3",
        "callbacks.early_stopping=null", "+callbacks.slow._target_=cluster_helpers.SlowSteps",
    ]  # fmt: skip
    env = project_env(tmp_path, **slurm_env("777", 1, 0, free_port()))
    job = subprocess.Popen(train_command(*overrides), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)  # fmt: skip
    run_dir = tmp_path / "outputs" / "train"
    deadline = time.monotonic() + 300
    while not list(run_dir.glob("*/checkpoints/last.ckpt")):  # training is under way
        assert job.poll() is None and time.monotonic() < deadline, job.stdout.read()[-3000:]
        time.sleep(0.5)
    job.send_signal(signal.SIGUSR1)  # what SLURM sends signal_delay_s before the time limit
    while not requeued.exists():
        assert job.poll() is None and time.monotonic() < deadline, job.stdout.read()[-3000:]
        time.sleep(0.2)
    (hpc_checkpoint,) = run_dir.glob("*/hpc_ckpt_*.ckpt")
    job.kill()  # the requeue ends the job; SLURM starts it again with the same job id
    job.wait()
    assert requeued.read_text().split() == ["requeue", "777"]

    resumed = subprocess.run(train_command(*overrides), env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"Resuming from {hpc_checkpoint}" in resumed.stderr + resumed.stdout
    assert len(list(run_dir.iterdir())) == 1  # the same run folder, found again
    assert len(read_results(tmp_path / "results" / "results.csv")) == 1


def test_sbatch_script_trains_through_srun(data_dir: Path, tmp_path: Path) -> None:
    """slurm/train.sbatch as SLURM runs it: one task, `srun` standing in for SLURM's."""
    stand_in(tmp_path, "srun", 'exec "$@"')
    env = project_env(tmp_path, TRAINER="cpu", **slurm_env("31337", 1, 0, free_port()))
    command = ["bash", str(PROJECT_ROOT / "slurm" / "train.sbatch"), *SHORT,
               *paths(data_dir, tmp_path)]  # fmt: skip
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    (run,) = (tmp_path / "outputs" / "train").iterdir()
    assert run.name == "slurm-31337" and (run / "checkpoints" / "best.ckpt").is_file()
    assert len(read_results(tmp_path / "results" / "results.csv")) == 1
