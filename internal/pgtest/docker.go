package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	tcpostgres "github.com/testcontainers/testcontainers-go/modules/postgres"
)

// dockerAnswers pings the Docker engine with a short deadline: testcontainers can hang
// past its context when a socket accepts but never answers.
func dockerAnswers(ctx context.Context) error {
	host := os.Getenv("DOCKER_HOST")
	sock := "/var/run/docker.sock"
	if strings.HasPrefix(host, "unix://") {
		sock = strings.TrimPrefix(host, "unix://")
	} else if host != "" {
		return fmt.Errorf("DOCKER_HOST %q is not a unix socket; not probed", host)
	}
	if _, err := os.Stat(sock); err != nil {
		return fmt.Errorf("no Docker engine socket at %s", sock)
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/_ping", nil)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("Docker engine at %s did not answer a ping within 2s: %v", sock, err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("Docker engine ping answered %s", resp.Status)
	}
	return nil
}

func startDocker(ctx context.Context, logf func(string, ...any)) (*Server, error) {
	if err := dockerAnswers(ctx); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	c, err := tcpostgres.Run(ctx, "postgres:15",
		tcpostgres.WithDatabase("postgres"),
		tcpostgres.WithUsername("lsos"),
		tcpostgres.WithPassword("lsos"),
		tcpostgres.BasicWaitStrategies(),
	)
	if err != nil {
		if c != nil {
			_ = testcontainers.TerminateContainer(c)
		}
		return nil, fmt.Errorf("start postgres container: %w", err)
	}
	u, err := c.ConnectionString(ctx, "sslmode=disable")
	if err != nil {
		_ = testcontainers.TerminateContainer(c)
		return nil, errors.Join(errors.New("container connection string"), err)
	}
	if logf != nil {
		logf("pgtest: started PostgreSQL in Docker")
	}
	return &Server{URL: u, Kind: "docker", stop: func() error { return testcontainers.TerminateContainer(c) }}, nil
}
