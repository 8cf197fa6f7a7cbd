"""Deploying the suite: the deployment itself (:mod:`~consortium_evm.deploy.suite`: the contracts,
the bootstrap, the manifest) and its journal (:mod:`~consortium_evm.deploy.journal`: recorded before
each transaction is sent, so that a rerun resumes without sending anything twice)."""
