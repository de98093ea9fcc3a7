// Coyote's testing engine installs process-wide state for the run it controls: run one engine at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
