"""Programs made of the layers below: the demo on the embedded chain
(:mod:`~consortium_evm.workflows.demo`) and the context a ``consortium-evm run`` script receives
(:mod:`~consortium_evm.workflows.scripting`)."""
