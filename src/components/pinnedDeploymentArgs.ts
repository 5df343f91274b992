import * as pulumi from "@pulumi/pulumi";
import { VerifiedPin } from "../flows";
import { RegistryClient } from "../registry";
import { PinnedDeploymentSpec } from "./deploymentSpec";
import { PinnedContainer, PinnedPodSpec, PodMetadata } from "./podTemplate";

export interface PinnedDeploymentArgs {
    /**
     * Repository without tag or digest, e.g. `127.0.0.1:5000/image-release/hello`. Required; no default.
     * Conflicts with a `:tag` or `@digest` suffix (the image is always `repository@digest`).
     * https://github.com/distribution/reference/blob/main/reference.go
     */
    readonly repository: pulumi.Input<string>;
    /**
     * The pinned index digest, `sha256:<64 hex>`. Required; no default. Conflicts with tags and short
     * digests, which are refused.
     * https://github.com/opencontainers/image-spec/blob/main/descriptor.md#digests
     */
    readonly digest: pulumi.Input<string>;
    /**
     * The release version, e.g. `1.4.2`; part of `kubernetes.io/change-cause`, so it shows in
     * `kubectl rollout history`. Required; no default. Conflicts with nothing.
     * https://kubernetes.io/docs/reference/labels-annotations-taints/#change-cause
     */
    readonly version: pulumi.Input<string>;
    /**
     * The source commit of the image; recorded as `image-release/git-sha`. Required; no default.
     * Conflicts with nothing.
     * https://kubernetes.io/docs/concepts/overview/working-with-objects/annotations/
     */
    readonly gitSha: pulumi.Input<string>;
    /**
     * The stack this digest was promoted from; appended to `kubernetes.io/change-cause` as
     * `(promoted from <stack>)`. Default: none (the stack built the digest). Conflicts with nothing.
     * https://kubernetes.io/docs/reference/labels-annotations-taints/#change-cause
     */
    readonly promotedFrom?: pulumi.Input<string>;
    /**
     * Platforms the digest must cover, checked when `verifyDigest` is on. Default:
     * `["linux/amd64","linux/arm64"]`. Conflicts with an empty list.
     * https://github.com/opencontainers/image-spec/blob/main/image-index.md#image-index-property-descriptions
     */
    readonly platforms?: pulumi.Input<string[]>;
    /**
     * Kubernetes namespace. Default: `default`. Conflicts with anything but an RFC 1123 label (at most
     * 63 lowercase alphanumerics or `-`, alphanumeric at both ends).
     * https://kubernetes.io/docs/concepts/overview/working-with-objects/namespaces/
     */
    readonly namespace?: pulumi.Input<string>;
    /**
     * Replica count. Default: 1. Conflicts with negative or fractional values.
     * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#replicas
     */
    readonly replicas?: pulumi.Input<number>;
    /**
     * Container port; also the Service port when `service` is true. Default: 8080. Conflicts with values
     * outside the integers 1-65535.
     * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#ports
     */
    readonly containerPort?: pulumi.Input<number>;
    /**
     * Create a ClusterIP Service in front of the pods. Default: false. Conflicts with nothing.
     * https://kubernetes.io/docs/concepts/services-networking/service/
     */
    readonly service?: boolean;
    /**
     * ReplicaSets kept for `kubectl rollout undo`. Default: 10. Conflicts with negative or fractional values.
     * https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#revision-history-limit
     */
    readonly revisionHistoryLimit?: pulumi.Input<number>;
    /**
     * Check the digest exists and covers `platforms` before anything is created (also during
     * preview). Default: true. Set false for air-gapped previews; `registryClient` is then unused.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#checking-if-content-exists-in-the-registry
     */
    readonly verifyDigest?: pulumi.Input<boolean>;
    /**
     * Registry client used for verification. Default: `new RegistryClient(VERIFY_CLIENT_OPTIONS)`, which
     * authenticates from the docker config. Not an Input: it is used by the program, never sent to the
     * engine. Conflicts with `verifyDigest: false`, which skips it.
     * https://docs.docker.com/reference/cli/docker/login/#credential-stores
     */
    readonly registryClient?: Pick<RegistryClient, "verify">;
    /**
     * The repository the digest is copied from when `repository` does not hold it yet (another
     * registry, or another path on the same one). `pulumi up` copies it by digest (blob mount on the
     * same registry, a streamed copy across registries) with its X.Y.Z and `git-` tags before the
     * Deployment changes; a preview verifies it here until then. Default: none (the digest is already
     * in `repository`). Conflicts with `repository` itself. Credentials come from the docker config.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#mounting-a-blob-from-another-repository
     */
    readonly sourceRepository?: pulumi.Input<string>;
    /**
     * The trusted key that verified the digest's signature (`sha256:<16 hex>`, from
     * `requiredSignature`); recorded as the Deployment's `image-release/signed-by` annotation, which the
     * policy pack's `signed-digest-required` looks for in prod. Default: none (no signature was
     * required). Conflicts with nothing.
     * https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
     */
    readonly signedBy?: pulumi.Input<string>;
    /**
     * The pin check's answer for this digest (`checkPin`, which the program runs once before any
     * resource, with the stack's signature rule): the component takes its platform digests from it
     * instead of asking the registry again. Not an Input: it stays in the program, never sent to the
     * engine. Default: none (the component checks the digest itself when `verifyDigest` is on).
     * Conflicts with `verifyDigest: false`, which ignores it, and with a pin of another digest, which is
     * refused; makes `registryClient` unused.
     * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#pulling-manifests
     */
    readonly verifiedPin?: VerifiedPin;
    /**
     * The main container's fields besides its image: env, envFrom, probes, resources, volumeMounts,
     * securityContext, command, args, ports (default: `[{ containerPort }]`), imagePullPolicy (default:
     * `IfNotPresent`), name (default: the component's name). Default: none. Conflicts with `image`, which
     * is the pin's (always `repository@digest`) and refused.
     * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#Container
     */
    readonly container?: pulumi.Input<PinnedContainer>;
    /**
     * The rest of the pod spec, passed through: volumes, serviceAccountName, securityContext,
     * imagePullSecrets, initContainers, nodeSelector, tolerations, affinity; `containers` are sidecars,
     * after the main container, with their own images (`pinWorkloads` pins those of a pinned
     * repository). Default: none. Conflicts with a sidecar or init container named like the main
     * container or like another one.
     * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/#PodSpec
     */
    readonly podSpec?: pulumi.Input<PinnedPodSpec>;
    /**
     * Pod template labels and annotations, merged with the component's: the `app: <name>` label the
     * selector and Service use, and the release's `image-release/*` annotations, which win a conflict.
     * Default: none. Conflicts with an `app` label other than the component's name.
     * https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/
     */
    readonly podMetadata?: pulumi.Input<PodMetadata>;
    /**
     * The other Deployment spec fields: strategy, minReadySeconds, progressDeadlineSeconds, paused, and
     * `selector` (default: `{ matchLabels: { app: <name> } }`; immutable once applied). Default: none.
     * Conflicts with `template`, `replicas` and `revisionHistoryLimit` (their own args), and with a
     * selector that does not select the pod template's labels.
     * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/deployment-v1/#DeploymentSpec
     */
    readonly deploymentSpec?: pulumi.Input<PinnedDeploymentSpec>;
}
