// The policy pack entrypoint: `pulumi preview --policy-pack src/policy`.
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("image-release", { policies });
