package terraform_test

import (
	"fmt"
	"io/fs"
	"math/big"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-cmp/cmp"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/contactphoto/contactphoto"
)

// webhookOnlyVariables configure the webhook; the event function does not
// get them.
var webhookOnlyVariables = []string{contactphoto.EnvWebhookSecret, contactphoto.EnvWebhookBuckets}

// facts is the code side of the ties.
type facts struct {
	root          string // the module root, which the zip is made of
	registrations map[string]registration
	exported      map[string]bool
	configVars    []string // set by a deployment
	emulatorVars  []string // never set by a deployment
	platformVars  []string // set by Cloud Run
	eventEntry    string
	webhookEntry  string
	eventType     string
	runtime       string   // the Cloud Functions runtime of go.mod's go version
	eventTypes    []string // the storage event types the root package declares
	linked        []string // the module's package directories the root links
	embedded      []string // the files they embed
}

// report collects problems, each prefixed by the check that found it.
type report struct {
	problems []string
	pending  []string // known gaps in the code, not in the configuration
}

func (r *report) add(check, format string, args ...any) {
	r.problems = append(r.problems, check+": "+fmt.Sprintf(format, args...))
}

var checks = []struct {
	name string
	run  func(r *report, m *module, f *facts)
}{
	{"entry_point", checkEntryPoints},
	{"event", checkEvents},
	{"env", checkEnvironment},
	{"defaults", checkDefaults},
	{"validation", checkValidations},
	{"order", checkOrder},
	{"zip", checkZip},
	{"secrets", checkSecrets},
	{"docs", checkDocs},
}

func checkAll(m *module, f *facts) *report {
	r := &report{}
	for _, c := range checks {
		c.run(r, m, f)
	}
	return r
}

func functions(m *module) (event string, others []string) {
	for _, name := range m.resourcesOfType("google_cloudfunctions2_function") {
		if len(childBlocks(m.resources["google_cloudfunctions2_function."+name].Body, "event_trigger")) > 0 {
			if event != "" {
				others = append(others, name)
				continue
			}
			event = name
		} else {
			others = append(others, name)
		}
	}
	return event, others
}

// checkEntryPoints: each function runs the Go of go.mod and its entry_point names a
// function the root package registers, of the kind its trigger calls.
func checkEntryPoints(r *report, m *module, f *facts) {
	names := m.resourcesOfType("google_cloudfunctions2_function")
	if len(names) == 0 {
		r.add("entry_point", "no google_cloudfunctions2_function")
	}
	for _, name := range names {
		b := m.resources["google_cloudfunctions2_function."+name]
		if got := literalString(attr(b, "build_config", "runtime")); got != f.runtime {
			r.add("entry_point", "function %s: runtime is %q, want %q for go.mod's go version", name, got, f.runtime)
		}
		ep := literalString(attr(b, "build_config", "entry_point"))
		want := "HTTP"
		if len(childBlocks(b.Body, "event_trigger")) > 0 {
			want = "CloudEvent"
		}
		reg, ok := f.registrations[ep]
		switch {
		case ep == "":
			r.add("entry_point", "function %s: build_config.entry_point is not a constant string", name)
		case !ok && ep == f.webhookEntry && !f.exported[ep]:
			r.pending = append(r.pending, fmt.Sprintf("function %s: the root package does not declare %s yet", name, ep))
		case !ok:
			r.add("entry_point", "function %s: entry_point %q is not registered by the root package (registered: %v)", name, ep, sortedKeys(f.registrations))
		case reg.kind != want:
			r.add("entry_point", "function %s: %s is registered with functions.%s, but the function is triggered as %s", name, ep, reg.kind, want)
		case !f.exported[reg.handler]:
			r.add("entry_point", "function %s: %s is registered with %s, which is not an exported function of the root package", name, ep, reg.handler)
		}
	}
}

// metadataUpdatedEventType is the event of a changed object metadata, which
// the second trigger delivers to the event function.
const metadataUpdatedEventType = "google.cloud.storage.object.v1.metadataUpdated"

// checkEvents: the event function is the code's CloudEvent entry point and
// takes the event type the code handles; the second trigger delivers
// metadata changes to the same function's service as the same identity.
// The values (bucket, region, retries) are terraform test's to check.
func checkEvents(r *report, m *module, f *facts) {
	event, _ := functions(m)
	if event == "" {
		r.add("event", "no function has an event_trigger")
		return
	}
	b := m.resources["google_cloudfunctions2_function."+event]
	if got := literalString(attr(b, "build_config", "entry_point")); got != f.eventEntry {
		r.add("event", "the event function's entry_point is %q, want %q (contactphoto.EventFunctionName)", got, f.eventEntry)
	}
	triggers := childBlocks(b.Body, "event_trigger")
	if len(triggers) != 1 {
		r.add("event", "the event function has %d event_trigger blocks", len(triggers))
		return
	}
	if got := literalString(triggers[0].Body.Attributes["event_type"]); got != f.eventType {
		r.add("event", "event_type is %q, want %q (contactphoto.FinalizedEventType)", got, f.eventType)
	}

	names := m.resourcesOfType("google_eventarc_trigger")
	if len(names) != 1 {
		r.add("event", "want one google_eventarc_trigger, for %s; found %v", metadataUpdatedEventType, names)
		return
	}
	key := "google_eventarc_trigger." + names[0]
	et := m.resources[key]
	var types []string
	for _, c := range childBlocks(et.Body, "matching_criteria") {
		if literalString(c.Body.Attributes["attribute"]) == "type" {
			types = append(types, literalString(c.Body.Attributes["value"]))
		}
	}
	switch {
	case len(types) != 1 || types[0] != metadataUpdatedEventType:
		r.add("event", "%s matches the event types %q, want exactly %q", key, types, metadataUpdatedEventType)
	case !slices.Contains(f.eventTypes, metadataUpdatedEventType):
		r.pending = append(r.pending, key+": the root package does not handle "+metadataUpdatedEventType+" yet")
	}
	if a := attr(et, "destination", "cloud_run_service", "service"); a == nil || !m.refersTo(a.Expr, "google_cloudfunctions2_function."+event+".service_config.service") {
		r.add("event", "%s must deliver to the event function's Cloud Run service (google_cloudfunctions2_function.%s.service_config[0].service)", key, event)
	}
	if got, want := m.text(et.Body.Attributes["service_account"]), m.text(triggers[0].Body.Attributes["service_account_email"]); got == "" || got != want {
		r.add("event", "%s delivers as %s, and the event function's trigger as %s: both must use the same identity", key, got, want)
	}
}

func show(v cty.Value) string {
	if v.Type() == cty.String {
		return fmt.Sprintf("%q", v.AsString())
	}
	if v.Type() == cty.Number {
		return v.AsBigFloat().Text('f', -1)
	}
	return v.GoString()
}

// checkEnvironment: each function sets exactly the environment variables
// LoadConfig reads, minus the emulators' (and, for the event function, the
// webhook's).
func checkEnvironment(r *report, m *module, f *facts) {
	event, others := functions(m)
	for _, name := range append([]string{event}, others...) {
		if name == "" {
			continue
		}
		b := m.resources["google_cloudfunctions2_function."+name]
		a := attr(b, "service_config", "environment_variables")
		if a == nil {
			r.add("env", "function %s sets no environment_variables", name)
			continue
		}
		entries, err := m.entries(a.Expr)
		if err != nil {
			r.add("env", "function %s: %v", name, err)
			continue
		}
		for _, v := range f.configVars {
			if _, ok := entries[v]; !ok && !(name == event && slices.Contains(webhookOnlyVariables, v)) {
				r.add("env", "function %s does not set %s, which LoadConfig reads", name, v)
			}
		}
		for _, v := range sortedKeys(entries) {
			switch {
			case slices.Contains(f.emulatorVars, v):
				r.add("env", "function %s sets %s, which points the function at a local stand-in", name, v)
			case slices.Contains(f.platformVars, v):
				r.add("env", "function %s sets %s, which Cloud Run sets itself", name, v)
			case name == event && slices.Contains(webhookOnlyVariables, v):
				r.add("env", "the event function sets %s, which only the webhook reads", v)
			case !slices.Contains(f.configVars, v):
				r.add("env", "function %s sets %s, which LoadConfig does not read", name, v)
			}
		}
		if e := entries["TOKEN_SECRET"]; e != nil && !m.refersTo(e, "google_secret_manager_secret.token.id") {
			r.add("env", "function %s: TOKEN_SECRET must name google_secret_manager_secret.token", name)
		}
		if e := entries["WEBHOOK_SECRET"]; e != nil && !m.refersTo(e, "google_secret_manager_secret.webhook_key.id") {
			r.add("env", "function %s: WEBHOOK_SECRET must name google_secret_manager_secret.webhook_key", name)
		}
	}
}

// environmentWith evaluates the event function's environment with the
// variables' values. Entries that depend on resources (secret names) are
// left out; the caller supplies them.
func (m *module) environmentWith(vars map[string]cty.Value) (map[string]string, error) {
	event, _ := functions(m)
	if event == "" {
		return nil, fmt.Errorf("no event function")
	}
	a := attr(m.resources["google_cloudfunctions2_function."+event], "service_config", "environment_variables")
	if a == nil {
		return nil, fmt.Errorf("the event function sets no environment_variables")
	}
	entries, err := m.entries(a.Expr)
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	ctx := m.evalContext(vars)
	for name, expr := range entries {
		if !onlyVariables(m.refs(expr)) {
			continue
		}
		v, diags := expr.Value(ctx)
		if diags.HasErrors() {
			return nil, fmt.Errorf("%s: %s", name, diags.Error())
		}
		s, err := envString(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", name, err)
		}
		env[name] = s
	}
	return env, nil
}

func onlyVariables(refs []string) bool {
	for _, r := range refs {
		if !strings.HasPrefix(r, "var.") {
			return false
		}
	}
	return true
}

// sampleSecret stands in for the secret names Terraform computes.
const sampleSecret = "projects/my-project-123/secrets/contacts-token/versions/latest"

// loadDeployed loads the configuration the event function gets with these
// variables, as the function does. err is a problem evaluating the
// Terraform configuration; loadErr is LoadConfig's verdict.
func (m *module) loadDeployed(vars map[string]cty.Value) (cfg *contactphoto.Config, loadErr, err error) {
	env, err := m.environmentWith(vars)
	if err != nil {
		return nil, nil, err
	}
	env[contactphoto.EnvTokenSecret] = sampleSecret
	cfg, loadErr = contactphoto.LoadConfig(func(k string) string { return env[k] })
	return cfg, loadErr, nil
}

// checkDefaults: with every variable at its default, the function's
// configuration is exactly LoadConfig's defaults.
func checkDefaults(r *report, m *module, f *facts) {
	vars, err := m.variableValues(nil)
	if err != nil {
		r.add("defaults", "%v", err)
		return
	}
	deployed, loadErr, err := m.loadDeployed(vars)
	if err != nil {
		r.add("defaults", "%v", err)
		return
	}
	if loadErr != nil {
		r.add("defaults", "the default variables give a configuration LoadConfig refuses: %v", loadErr)
		return
	}
	defaults, err := contactphoto.LoadConfig(func(k string) string {
		if k == contactphoto.EnvTokenSecret {
			return sampleSecret
		}
		return ""
	})
	if err != nil {
		r.add("defaults", "LoadConfig refuses its own defaults: %v", err)
		return
	}
	if diff := cmp.Diff(defaults, deployed, cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
		r.add("defaults", "the variables' defaults differ from LoadConfig's (-code +terraform):\n%s", diff)
	}
}

// probes are values tried on every variable that sets an environment
// variable, around the limits LoadConfig enforces.
var (
	numberProbes = []string{"-1", "0", "0.5", "1", "15", "16", "720", "2000", "2001", "6000", "6001", "8191", "8192",
		"10485760", "10485761", "41943040", "100000000", "1099511627776", "1099511627777"}
	stringProbes = []string{"", "face", "center", "none", "Face", "bogus", "24h", "90m", "1h30m", "0s", "0h0m", "-1h", "1.5h",
		"photos", "photos,names", "resourceName", "contact-id", "bad key", "a/b", strings.Repeat("k", 128), strings.Repeat("k", 129)}
)

// checkValidations: every variable's default passes its validation, and no
// value that passes a validation is one LoadConfig would refuse, so that a
// bad value stops at plan time instead of at the function's first event.
func checkValidations(r *report, m *module, f *facts) {
	defaults, err := m.variableValues(nil)
	if err != nil {
		r.add("validation", "%v", err)
		return
	}
	for _, name := range sortedKeys(m.variables) {
		failed, err := m.validationFailures(name, defaults)
		if err != nil {
			r.add("validation", "%v", err)
		} else if len(failed) > 0 {
			r.add("validation", "variable %q: the default fails its own validation: %s", name, strings.Join(failed, "; "))
		}
	}

	event, _ := functions(m)
	if event == "" {
		return
	}
	entries, err := m.entries(attr(m.resources["google_cloudfunctions2_function."+event], "service_config", "environment_variables").Expr)
	if err != nil {
		return // reported by checkEnvironment
	}
	for _, envName := range sortedKeys(entries) {
		st, ok := entries[envName].(*hclsyntax.ScopeTraversalExpr)
		if !ok || !slices.Contains(f.configVars, envName) {
			continue
		}
		varName, ok := strings.CutPrefix(traversalName(st.Traversal), "var.")
		if !ok || m.variables[varName] == nil {
			continue
		}
		if len(childBlocks(m.variables[varName].Body, "validation")) == 0 && defaults[varName].Type() != cty.Bool {
			r.add("validation", "variable %q sets %s but has no validation", varName, envName)
		}
		for _, probe := range probesFor(defaults[varName].Type()) {
			vars := cloneValues(defaults)
			vars[varName] = probe
			failed, err := m.validationFailures(varName, vars)
			if err != nil {
				r.add("validation", "%v", err)
				break
			}
			if len(failed) > 0 {
				continue
			}
			_, loadErr, err := m.loadDeployed(vars)
			if err != nil {
				r.add("validation", "%v", err)
				break
			}
			if loadErr != nil && strings.Contains(loadErr.Error(), envName) {
				r.add("validation", "variable %q accepts %s, which LoadConfig refuses: %v", varName, show(probe), loadErr)
			}
		}
	}
}

func probesFor(ty cty.Type) []cty.Value {
	var out []cty.Value
	switch ty {
	case cty.Number:
		for _, s := range numberProbes {
			n, _, err := big.ParseFloat(s, 10, 512, big.ToNearestEven)
			if err != nil {
				panic(err)
			}
			out = append(out, cty.NumberVal(n))
		}
	case cty.String:
		for _, s := range stringProbes {
			out = append(out, cty.StringVal(s))
		}
	case cty.Bool:
		out = append(out, cty.True, cty.False)
	}
	return out
}

func cloneValues(m map[string]cty.Value) map[string]cty.Value {
	out := make(map[string]cty.Value, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// checkSecrets: the secrets exist as containers, and no secret value is
// ever written or read by Terraform (it would land in the state).
func checkSecrets(r *report, m *module, f *facts) {
	for _, b := range m.blocks {
		if (b.Type == "resource" || b.Type == "data" || b.Type == "ephemeral") && len(b.Labels) > 0 && strings.Contains(b.Labels[0], "secret_version") {
			r.add("secrets", "%s %s handles a secret value, which would be stored in the Terraform state", b.Type, strings.Join(b.Labels, "."))
		}
	}
	for _, name := range []string{"token", "webhook_key"} {
		if m.resources["google_secret_manager_secret."+name] == nil {
			r.add("secrets", "no google_secret_manager_secret.%s", name)
		}
	}
}

// checkDocs: every variable and output says what it is for.
func checkDocs(r *report, m *module, f *facts) {
	for _, kind := range []map[string]*hclsyntax.Block{m.variables, m.outputs} {
		for _, name := range sortedKeys(kind) {
			b := kind[name]
			if strings.TrimSpace(literalString(b.Body.Attributes["description"])) == "" {
				r.add("docs", "%s %q has no description", b.Type, name)
			}
		}
	}
}

// checkOrder: on a fresh project, nothing uses an API before the wait after
// its enablement, and no function or trigger is created before the wait
// after the grants it needs. terraform test cannot see the order of
// creation; the dependency graph of the configuration is that order.
func checkOrder(r *report, m *module, f *facts) {
	for _, name := range []string{"time_sleep.apis", "time_sleep.iam"} {
		if m.resources[name] == nil {
			r.add("order", "no %s", name)
			return
		}
	}
	deps := m.dependencies()
	for _, key := range sortedKeys(deps) {
		typ, _, _ := strings.Cut(strings.TrimPrefix(key, "data."), ".")
		if !strings.HasPrefix(typ, "google_") || typ == "google_project_service" {
			continue
		}
		if !reaches(deps, key, "time_sleep.apis") {
			r.add("order", "%s does not come after time_sleep.apis, the wait after enabling the APIs", key)
		}
		switch {
		case typ == "google_cloudfunctions2_function" || typ == "google_eventarc_trigger":
			if !reaches(deps, key, "time_sleep.iam") {
				r.add("order", "%s does not come after time_sleep.iam, the wait after the grants", key)
			}
		case strings.HasSuffix(typ, "_iam_member") || strings.HasSuffix(typ, "_iam_binding") || strings.HasSuffix(typ, "_iam_policy"):
			// A grant on a function's service can only follow the function.
			onFunction := slices.ContainsFunc(m.resourcesOfType("google_cloudfunctions2_function"), func(name string) bool {
				return reaches(deps, key, "google_cloudfunctions2_function."+name)
			})
			if !onFunction && !reaches(deps, "time_sleep.iam", key) {
				r.add("order", "%s is not among what time_sleep.iam waits for", key)
			}
		}
	}
}

// dependencies maps each resource and data source ("type.name",
// "data.type.name") to those it refers to or depends on, directly.
func (m *module) dependencies() map[string][]string {
	deps := map[string][]string{}
	add := func(key string, b *hclsyntax.Block) {
		var out []string
		var walk func(body *hclsyntax.Body)
		walk = func(body *hclsyntax.Body) {
			for _, a := range body.Attributes {
				for _, ref := range m.refs(a.Expr) {
					parts := strings.Split(ref, ".")
					switch {
					case parts[0] == "data" && len(parts) >= 3:
						out = append(out, strings.Join(parts[:3], "."))
					case len(parts) >= 2 && m.resources[parts[0]+"."+parts[1]] != nil:
						out = append(out, parts[0]+"."+parts[1])
					}
				}
			}
			for _, nested := range body.Blocks {
				walk(nested.Body)
			}
		}
		walk(b.Body)
		deps[key] = out
	}
	for key, b := range m.resources {
		add(key, b)
	}
	for key, b := range m.data {
		add("data."+key, b)
	}
	return deps
}

// reaches reports whether from depends on to, directly or not.
func reaches(deps map[string][]string, from, to string) bool {
	seen := map[string]bool{}
	queue := []string{from}
	for len(queue) > 0 {
		next := queue[0]
		queue = queue[1:]
		for _, d := range deps[next] {
			if d == to {
				return true
			}
			if !seen[d] {
				seen[d] = true
				queue = append(queue, d)
			}
		}
	}
	return false
}

// checkZip: the source zip's allow-list names the code's package set: the
// trees hold every package the root links, the assets are exactly what
// those packages embed, and every package the trees bring in finds its
// imports in the zip too, so that the zip builds. Which files the real
// zip holds, and that it builds, is checked with the archive provider
// itself (tests/offline-plan.sh).
func checkZip(r *report, m *module, f *facts) {
	vars, err := m.variableValues(nil)
	if err != nil {
		r.add("zip", "%v", err)
		return
	}
	ctx := m.evalContext(vars)
	list := func(name string) []string {
		a := m.locals[name]
		if a == nil {
			r.add("zip", "no local.%s", name)
			return nil
		}
		v, diags := a.Expr.Value(ctx)
		if diags.HasErrors() || !v.Type().IsTupleType() {
			r.add("zip", "local.%s is not a list of constant strings", name)
			return nil
		}
		out := []string{}
		for it := v.ElementIterator(); it.Next(); {
			_, e := it.Element()
			out = append(out, e.AsString())
		}
		return out
	}
	trees, assets := list("source_trees"), list("source_assets")
	if trees == nil || assets == nil {
		return
	}

	embedded := map[string]bool{}
	for _, p := range f.embedded {
		embedded[p] = true
		if !slices.Contains(assets, p) {
			r.add("zip", "the zip lacks %s, which //go:embed reads: add it to local.source_assets", p)
		}
	}
	for _, p := range assets {
		if !embedded[p] {
			r.add("zip", "local.source_assets lists %s, which no linked package embeds", p)
		}
	}
	zipped := func(dir string) bool {
		return dir == "." || (!droppedFromZip(dir) && slices.ContainsFunc(trees, func(t string) bool { return dir == t || strings.HasPrefix(dir, t+"/") }))
	}
	for _, dir := range f.linked {
		if !zipped(dir) {
			r.add("zip", "the zip lacks %s/, which the root package links: add its tree to local.source_trees", dir)
		}
	}
	for _, tree := range trees {
		err := filepath.WalkDir(filepath.Join(f.root, tree), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !d.IsDir() {
				return nil
			}
			dir, _ := filepath.Rel(f.root, p)
			dir = filepath.ToSlash(dir)
			if droppedFromZip(dir) {
				return filepath.SkipDir
			}
			imports, err := moduleImports(f.root, dir)
			if err != nil {
				return err
			}
			for _, imp := range imports {
				if !zipped(imp) {
					r.add("zip", "the zip holds %s/, which imports %s/, which it lacks", dir, imp)
				}
			}
			return nil
		})
		if err != nil {
			r.add("zip", "tree %s: %v", tree, err)
		}
	}

	b := m.data["archive_file.source"]
	switch {
	case b == nil:
		r.add("zip", "no data \"archive_file\" \"source\"")
		return
	case b.Body.Attributes["source_dir"] == nil || !m.refersTo(b.Body.Attributes["source_dir"].Expr, "local.source_root"):
		r.add("zip", "archive_file.source must zip local.source_root")
	case b.Body.Attributes["excludes"] == nil || !m.refersTo(b.Body.Attributes["excludes"].Expr, "local.source_files") ||
		len(stringLiterals(b.Body.Attributes["excludes"].Expr)) > 0:
		r.add("zip", "archive_file.source's excludes must be derived from local.source_files, the allow-list, and name nothing itself")
	}
	if a := m.locals["source_root"]; a == nil {
		r.add("zip", "no local.source_root")
	} else if v, diags := a.Expr.Value(ctx); diags.HasErrors() || v.Type() != cty.String || !sameDir(v.AsString(), f.root) {
		r.add("zip", "local.source_root is not the module root")
	}
	obj := m.resources["google_storage_bucket_object.source"]
	if obj == nil || obj.Body.Attributes["name"] == nil || !slices.ContainsFunc(m.refs(obj.Body.Attributes["name"].Expr), func(r string) bool {
		return slices.Contains([]string{"data.archive_file.source.output_sha256", "data.archive_file.source.output_md5",
			"data.archive_file.source.output_base64sha256", "data.archive_file.source.output_sha512"}, r)
	}) {
		r.add("zip", "google_storage_bucket_object.source must be named by the zip's hash, so that a code change redeploys")
	}
	for _, name := range m.resourcesOfType("google_cloudfunctions2_function") {
		a := attr(m.resources["google_cloudfunctions2_function."+name], "build_config", "source", "storage_source", "object")
		if a == nil || !m.refersTo(a.Expr, "google_storage_bucket_object.source.name") {
			r.add("zip", "function %s is not built from google_storage_bucket_object.source", name)
		}
	}
}

// droppedFromZip mirrors the filter of local.source_files: test data, the
// stand-in packages named like gcstest, and what the go command ignores.
func droppedFromZip(dir string) bool {
	for _, seg := range strings.Split(dir, "/") {
		if seg == "testdata" || strings.HasSuffix(seg, "test") || strings.HasPrefix(seg, ".") || strings.HasPrefix(seg, "_") {
			return true
		}
	}
	return false
}

func sameDir(a, b string) bool {
	a, errA := filepath.Abs(a)
	b, errB := filepath.Abs(b)
	return errA == nil && errB == nil && a == b
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
