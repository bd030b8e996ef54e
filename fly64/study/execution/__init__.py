"""Running jobs: the workspace, the runner, the time estimate, a job's process and the executors."""
