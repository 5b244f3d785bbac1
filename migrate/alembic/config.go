package alembic

import (
	"fmt"
	"log/slog"
	"regexp"
	"time"
)

// Config tunes how a project is read and how Alembic is run. The zero value is
// usable: every empty field takes the default documented on it.
type Config struct {
	// IniFile is the Alembic configuration file, relative to the project
	// directory. Default "alembic.ini". When the directory has no such file, it is
	// taken to be the script directory itself (env.py, versions/); reading and
	// Status work, running Alembic does not.
	IniFile string

	// VersionTable and VersionTableSchema name the table Alembic records the
	// applied heads in, as env.py configures it (context.configure(version_table=…,
	// version_table_schema=…)). Defaults "alembic_version" and "" (the search_path).
	VersionTable       string
	VersionTableSchema string

	// Command runs Alembic: the program and the arguments that precede Alembic's
	// own (e.g. {"python3", "-m", "alembic"} or {"/venv/bin/alembic"}). Default:
	// "alembic" from PATH, else "python3 -m alembic".
	Command []string
	// Env is added to the environment of the command (KEY=VALUE, overriding the
	// process's). A PATH given here is also where Command is looked up.
	Env []string
	// Timeout bounds one run of the command. Default 2 minutes.
	Timeout time.Duration

	// URLEnv is the environment variable a database URL is passed in when Alembic
	// runs online (round trip); URLArg the `-x` argument name it is also passed as
	// ("-x url=…"). Defaults "LSOS_ALEMBIC_URL" and "url"; set URLArg to "-" to pass
	// the URL in the environment only (it does not then show in the process list).
	URLEnv string
	URLArg string
	// Driver is the SQLAlchemy driver a postgres:// URL is rewritten for
	// (postgres://… → postgresql+psycopg2://…). Default "psycopg2"; "-" passes
	// the URL unchanged.
	Driver string

	// Logger receives debug logs of the commands run. Default: discard.
	Logger *slog.Logger
}

// Defaults of [Config].
const (
	DefaultIniFile      = "alembic.ini"
	DefaultVersionTable = "alembic_version"
	DefaultTimeout      = 2 * time.Minute
	DefaultURLEnv       = "LSOS_ALEMBIC_URL"
	DefaultURLArg       = "url"
	DefaultDriver       = "psycopg2"
	// SumFile is the checksum file kept in the script directory (see
	// [Project.RecordSum]).
	SumFile = "lsos-alembic.sum"
)

var identRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_$]*$`)

func (c Config) withDefaults() (Config, error) {
	if c.IniFile == "" {
		c.IniFile = DefaultIniFile
	}
	if c.VersionTable == "" {
		c.VersionTable = DefaultVersionTable
	}
	if !identRE.MatchString(c.VersionTable) || len(c.VersionTable) > 63 {
		return c, fmt.Errorf("alembic: Config.VersionTable %q is not a plain SQL identifier", c.VersionTable)
	}
	if c.VersionTableSchema != "" && (!identRE.MatchString(c.VersionTableSchema) || len(c.VersionTableSchema) > 63) {
		return c, fmt.Errorf("alembic: Config.VersionTableSchema %q is not a plain SQL identifier", c.VersionTableSchema)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Timeout < 0 {
		return c, fmt.Errorf("alembic: Config.Timeout %v is negative", c.Timeout)
	}
	if c.URLEnv == "" {
		c.URLEnv = DefaultURLEnv
	}
	if c.URLArg == "" {
		c.URLArg = DefaultURLArg
	}
	if c.Driver == "" {
		c.Driver = DefaultDriver
	}
	for _, kv := range c.Env {
		if k, _, ok := cutEnv(kv); !ok || k == "" {
			return c, fmt.Errorf("alembic: Config.Env entry %q is not KEY=VALUE", kv)
		}
	}
	if len(c.Command) > 0 && c.Command[0] == "" {
		return c, fmt.Errorf("alembic: Config.Command has an empty program name")
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, nil
}
