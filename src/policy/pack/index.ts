// The policy pack entrypoint: `pulumi preview --policy-pack src/policy/pack`. Pulumi starts a Node policy
// pack by requiring its directory (PulumiPolicy.yaml's `main` is not consulted for nodejs), so this file
// must be the directory's index; it lives apart from the src/policy barrel because constructing a
// PolicyPack starts a gRPC server.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "../policies";

new PolicyPack("image-release", { policies });
