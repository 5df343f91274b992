// The example apps' one program: a long-running HTTP server that answers with the app, version and
// git sha baked into its image at build time, plus the modes its Dockerfile and batch workloads run.
//
//	server           serve on :8080 (PORT) until SIGTERM, then drain (see README.md)
//	server --bake    write APP, VERSION and GIT_SHA (build args, so env in RUN) to the baked file
//	server --check   print what the server would serve and exit: the Dockerfile's self-check
//	server --once    print one log line with the baked info and DATASET_VERSION (or --dataset V) and exit: Jobs
//
// Standard library only, built static (CGO_ENABLED=0), so it runs in a FROM scratch image.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strconv"
	"sync/atomic"
	"syscall"
	"time"
)

// defaultAppFile is where --bake writes and every other mode reads; APP_FILE moves it (tests only).
const defaultAppFile = "/etc/app.json"

type appInfo struct {
	App     string `json:"app"`
	Version string `json:"version"`
	GitSha  string `json:"gitSha"`
}

type batchLine struct {
	appInfo
	DatasetVersion string `json:"datasetVersion"`
}

var gitSha = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// problem names the first bad field by the name its source uses: the build arg or the JSON key.
func (a appInfo) problem(app, version, sha string) string {
	switch {
	case a.App == "":
		return app + " is empty"
	case a.Version == "":
		return version + " is empty"
	case !gitSha.MatchString(a.GitSha):
		return fmt.Sprintf("%s must be 7-40 lowercase hex characters (got %q)", sha, a.GitSha)
	}
	return ""
}

// jsonLine is the one encoding every mode prints: compact JSON and a newline.
func jsonLine(v any) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func appFile() string {
	if f := os.Getenv("APP_FILE"); f != "" {
		return f
	}
	return defaultAppFile
}

// bake runs at build time (RUN ["/server","--bake"]): the build args arrive as env.
func bake(file string) error {
	info := appInfo{App: os.Getenv("APP"), Version: os.Getenv("VERSION"), GitSha: os.Getenv("GIT_SHA")}
	if p := info.problem("APP", "VERSION", "GIT_SHA"); p != "" {
		return fmt.Errorf("--bake: build arg %s (image-release passes VERSION and GIT_SHA)", p)
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return fmt.Errorf("--bake: %w", err)
	}
	if err := os.WriteFile(file, jsonLine(info), 0o644); err != nil {
		return fmt.Errorf("--bake: %w", err)
	}
	return nil
}

func readInfo(file string) (appInfo, error) {
	var info appInfo
	raw, err := os.ReadFile(file)
	if err != nil {
		return info, fmt.Errorf("no baked app info: %w (the image runs --bake at build time)", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&info); err != nil {
		return info, fmt.Errorf("baked app info %s is not valid: %w", file, err)
	}
	if p := info.problem("app", "version", "gitSha"); p != "" {
		return info, fmt.Errorf("baked app info %s: %s", file, p)
	}
	return info, nil
}

type settings struct {
	port  int
	drain time.Duration
	ready bool
}

func envSettings() (settings, error) {
	s := settings{port: 8080, drain: 5 * time.Second, ready: true}
	if v := os.Getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil || p < 1 || p > 65535 {
			return s, fmt.Errorf("PORT must be a port number 1-65535 (got %q)", v)
		}
		s.port = p
	}
	if v := os.Getenv("DRAIN_SECONDS"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 0 {
			return s, fmt.Errorf("DRAIN_SECONDS must be a whole number of seconds, 0 or more (got %q)", v)
		}
		s.drain = time.Duration(d) * time.Second
	}
	switch v := os.Getenv("READY"); v {
	case "", "true":
	case "false":
		s.ready = false
	default:
		return s, fmt.Errorf("READY must be true or false (got %q)", v)
	}
	return s, nil
}

func handler(info appInfo, s settings, draining *atomic.Bool) http.Handler {
	body := jsonLine(info)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		switch {
		case !s.ready:
			http.Error(w, "not ready: READY=false", http.StatusServiceUnavailable)
		case draining.Load():
			http.Error(w, "draining", http.StatusServiceUnavailable)
		default:
			_, _ = w.Write([]byte("ready\n"))
		}
	})
	return mux
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "server: "+format+"\n", args...)
}

// serve answers until SIGTERM or SIGINT, then turns unready and keeps answering for the drain time
// (so endpoints drop the Pod before it stops listening), then shuts down gracefully. A second signal
// stops at once.
func serve(info appInfo, s settings) error {
	var draining atomic.Bool
	srv := &http.Server{Handler: handler(info, s, &draining), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", fmt.Sprintf(":%d", s.port))
	if err != nil {
		return err
	}
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	logf("serving %s on :%d (ready=%t, drain %s)", bytes.TrimSpace(jsonLine(info)), s.port, s.ready, s.drain)

	select {
	case err := <-served:
		return err
	case sig := <-signals:
		logf("%s: not ready, draining for %s", sig, s.drain)
	}
	draining.Store(true)
	// Each answer now closes its connection, so no keep-alive connection outlives the drain.
	srv.SetKeepAlivesEnabled(false)
	select {
	case <-time.After(s.drain):
	case sig := <-signals:
		logf("%s again: stopping now", sig)
		return srv.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		return err
	}
	logf("stopped")
	return nil
}

const usage = "usage: server [--bake | --check | --once [--dataset VERSION]]"

func run(args []string) error {
	mode := ""
	dataset := os.Getenv("DATASET_VERSION")
	// A Job passes its dataset as arguments (a training command) or as DATASET_VERSION.
	if len(args) == 3 && args[0] == "--once" && args[1] == "--dataset" {
		dataset = args[2]
		args = args[:1]
	}
	if len(args) > 1 {
		return errors.New(usage)
	}
	if len(args) == 1 {
		mode = args[0]
	}
	file := appFile()
	if mode == "--bake" {
		return bake(file)
	}
	if mode != "" && mode != "--check" && mode != "--once" {
		return fmt.Errorf("unknown argument %q; %s", mode, usage)
	}
	info, err := readInfo(file)
	if err != nil {
		return err
	}
	switch mode {
	case "--check":
		_, err := os.Stdout.Write(jsonLine(info))
		return err
	case "--once":
		_, err := os.Stdout.Write(jsonLine(batchLine{info, dataset}))
		return err
	}
	s, err := envSettings()
	if err != nil {
		return err
	}
	return serve(info, s)
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		logf("%v", err)
		os.Exit(1)
	}
}
