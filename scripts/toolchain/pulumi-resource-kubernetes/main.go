// Command pulumi-resource-kubernetes serves the Pulumi Kubernetes provider from the published
// github.com/pulumi/pulumi-kubernetes/provider/v4 module.
//
// Why it exists: upstream's main embeds schema-embed.json, a file that `go generate` writes and that
// the module zip does not hold. scripts/toolchain.sh copies the module's committed schema.json and
// terraform-mapping.json next to this file in its build directory (outside the repository); this main
// stamps the provider version into the schema, as upstream's generator does, and serves it.
package main

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"

	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/provider"
	"github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version"
)

//go:embed schema.json
var schema []byte

//go:embed terraform-mapping.json
var terraformMapping []byte

func main() {
	var spec map[string]json.RawMessage
	if err := json.Unmarshal(schema, &spec); err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-kubernetes: schema.json: %v\n", err)
		os.Exit(1)
	}
	v, err := json.Marshal(version.Version)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-kubernetes: %v\n", err)
		os.Exit(1)
	}
	spec["version"] = v
	versioned, err := json.Marshal(spec)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pulumi-resource-kubernetes: %v\n", err)
		os.Exit(1)
	}
	provider.Serve("kubernetes", version.Version, versioned, terraformMapping)
}
