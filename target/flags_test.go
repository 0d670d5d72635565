package target

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/pflag"
	"oras.land/oras-go/v2/registry/remote"
)

// parsed declares o's flags (AddFlags, or cp's from/to pair) and parses args.
func parsed(t *testing.T, args ...string) (*Options, *pflag.FlagSet) {
	t.Helper()
	var o Options
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	o.AddFlags(fs)
	o.AddLayoutPathFlag(fs)
	o.AddDistributionSpecFlag(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return &o, fs
}

func TestCheckIsORASWording(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"-u", "a", "-p", "b"}, ""},
		{[]string{"--identity-token", "t"}, ""},
		{[]string{"-u", "a", "--identity-token", "t"}, "--username, --identity-token cannot be used at the same time"},
		{[]string{"-p", "a", "--identity-token", "t"}, "--password, --identity-token cannot be used at the same time"},
		{[]string{"-p", "a", "--password-stdin"}, "--password, --password-stdin cannot be used at the same time"},
		{[]string{"--identity-token-stdin", "--password-stdin"}, "--identity-token-stdin, --password-stdin cannot be used at the same time"},
		{[]string{"--cert-file", "c.pem"}, "--cert-file must be used in conjunction with --key-file"},
		{[]string{"--key-file", "k.pem"}, "--key-file must be used in conjunction with --cert-file"},
	} {
		o, _ := parsed(t, tt.args...)
		err := o.ReadPassword(strings.NewReader("secret\n"))
		if (tt.want == "" && err != nil) || (tt.want != "" && (err == nil || err.Error() != tt.want)) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
	o, _ := parsed(t, "--identity-token-stdin")
	if err := o.ReadPassword(strings.NewReader("tok\n")); err != nil || o.Password != "tok" || o.Username != "" {
		t.Errorf("--identity-token-stdin: %v, password %q", err, o.Password)
	}
	if o.StdinFlag() != "--identity-token-stdin" || o.SecretWarning() != "" {
		t.Errorf("StdinFlag %q, SecretWarning %q", o.StdinFlag(), o.SecretWarning())
	}
	o, _ = parsed(t, "--identity-token", "tok")
	if !strings.Contains(o.SecretWarning(), "--identity-token via the CLI is insecure. Use --identity-token-stdin.") {
		t.Errorf("SecretWarning = %q", o.SecretWarning())
	}
}

func TestCopyFlags(t *testing.T) {
	var from, to Options
	fs := pflag.NewFlagSet("cp", pflag.ContinueOnError)
	from.AddFlagsWithPrefix(fs, "from", "source ")
	to.AddFlagsWithPrefix(fs, "to", "destination ")
	AddSharedFlags(fs, &from, &to)
	err := fs.Parse([]string{"-d", "--no-tty", "--resolve", "a.test:443:127.0.0.1", "--to-resolve", "a.test:443:127.0.0.2",
		"--from-cert-file", "c.pem", "--to-distribution-spec", SpecReferrersTag, "--from-oci-layout-path", "dir", "--to-header", "X-A: b"})
	if err != nil {
		t.Fatal(err)
	}
	if !from.Debug || !to.Debug || !from.NoTTY || !to.NoTTY {
		t.Error("--debug/--no-tty do not reach both sides")
	}
	if len(from.baseResolve) != 1 || len(to.baseResolve) != 1 || len(to.Resolve) != 1 {
		t.Errorf("resolve: from %v, to %v + %v", from.baseResolve, to.baseResolve, to.Resolve)
	}
	if err := from.Check(); err == nil || err.Error() != "--from-cert-file must be used in conjunction with --from-key-file" {
		t.Errorf("from.Check() = %v", err)
	}
	if to.DistributionSpec != SpecReferrersTag || from.DistributionSpec != specUnknown {
		t.Errorf("distribution spec: from %q, to %q", from.DistributionSpec, to.DistributionSpec)
	}
	r, err := from.Parse("example.com:v1", false)
	if err != nil || r != (Ref{Layout: true, Path: "dir", Reference: "example.com:v1", InPath: true}) {
		t.Errorf("--from-oci-layout-path: %+v %v", r, err)
	}
	if r.Display() != "[oci-layout] example.com:v1" || r.String() != "dir:example.com:v1" {
		t.Errorf("Display %q, String %q", r.Display(), r.String())
	}
	if _, err := from.Parse("v1", true); err == nil || err.Error() != "--from-oci-layout-path, --from-oci-layout cannot be used at the same time" {
		t.Errorf("both layout flags: %v", err)
	}
	if _, err := to.Parse("dir:v1", true); err == nil || err.Error() != "custom header flags cannot be used on an OCI image layout target" {
		t.Errorf("header on a layout: %v", err)
	}
	to.LayoutPath = "out"
	if base, tags := to.SplitTags("v1,v2,v3"); base != "v1" || len(tags) != 2 {
		t.Errorf("SplitTags = %q %q", base, tags)
	}
	usage := fs.FlagUsages()
	for _, want := range []string{"--from-identity-token string", "-d, --debug", "--resolve host:port:address[:address_port]", `(default "unknown")`} {
		if !strings.Contains(usage, want) {
			t.Errorf("help lacks %q:\n%s", want, usage)
		}
	}
	if strings.Contains(usage, "default []") || strings.Contains(usage, "--from-password-stdin") {
		t.Errorf("help:\n%s", usage)
	}
}

func TestDistributionSpec(t *testing.T) {
	fs := pflag.NewFlagSet("attach", pflag.ContinueOnError)
	var o Options
	o.AddFlags(fs)
	o.AddDistributionSpecFlag(fs)
	err := fs.Parse([]string{"--distribution-spec", "v1.0"})
	if err == nil || !strings.Contains(err.Error(), "unknown distribution specification flag: v1.0") {
		t.Errorf("bad value: %v", err)
	}
	for spec, capable := range map[string]bool{SpecReferrersAPI: true, SpecReferrersTag: false} {
		o.DistributionSpec = spec
		repo, err := Repository(Ref{Registry: "r.example", Repository: "eo"}, o)
		if err != nil {
			t.Fatal(err)
		}
		// the capability is fixed: setting the other one fails
		if err := repo.SetReferrersCapability(!capable); !errors.Is(err, remote.ErrReferrersCapabilityAlreadySet) {
			t.Errorf("%s: capability not set (%v)", spec, err)
		}
	}
}
