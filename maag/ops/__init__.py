"""The operator's tools, outside the runtime the services run on: the `maag` command, the
Kubernetes and AsyncAPI renderers, the local supervisor and infrastructure, the identity
provider's realm, the demo and the auditor's merge."""
