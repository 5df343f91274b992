# Sourced by scripts/toolchain.sh, scripts/cluster-up.sh, .ci/run and test/e2e's runner: where the e2e
# toolchain lives and the environment that makes the built Pulumi engine find it and never download.
#   TOOLCHAIN_DIR  ~/.cache/image-release/toolchain/<12 hex of versions.env> (or $IMAGE_RELEASE_TOOLCHAIN_DIR)
#   PATH           $TOOLCHAIN_DIR/bin first: pulumi, its language host and launchers, kubectl, …
#   PULUMI_HOME    $TOOLCHAIN_DIR/pulumi-home: holds the installed kubernetes plugin
_toolchain_src="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOOLCHAIN_DIR="${IMAGE_RELEASE_TOOLCHAIN_DIR:-${IMAGE_RELEASE_TOOLCHAIN_ROOT:-$HOME/.cache/image-release/toolchain}/$(sha256sum "$_toolchain_src/versions.env" | cut -c1-12)}"
export TOOLCHAIN_DIR
export PATH="$TOOLCHAIN_DIR/bin:$PATH"
export PULUMI_HOME="$TOOLCHAIN_DIR/pulumi-home"
export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset _toolchain_src
