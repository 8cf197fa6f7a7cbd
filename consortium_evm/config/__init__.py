"""The files a user writes, read into typed records with ``file:line`` errors: ``networks.yaml``
(:mod:`~consortium_evm.config.networks`), the consortium file
(:mod:`~consortium_evm.config.consortium_file`) and the YAML reader with source positions they share
(:mod:`~consortium_evm.config.yamlsource`)."""
