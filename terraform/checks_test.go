package terraform_test

import (
	"fmt"
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

// requiredAPIs are the services the deployment must enable.
var requiredAPIs = []string{
	"artifactregistry.googleapis.com", "cloudbuild.googleapis.com", "cloudfunctions.googleapis.com",
	"eventarc.googleapis.com", "iam.googleapis.com", "iamcredentials.googleapis.com", "people.googleapis.com",
	"pubsub.googleapis.com", "run.googleapis.com", "secretmanager.googleapis.com", "storage.googleapis.com",
}

// projectRoles are the only roles granted on the project, each to the one
// identity that needs it.
var projectRoles = map[string]string{
	"roles/eventarc.eventReceiver": "google_service_account.trigger",
	"roles/pubsub.publisher":       "data.google_storage_project_service_account.gcs",
}

// objectPermissions is everything the functions may do to objects: read
// them, and patch their metadata for the status write-back.
var objectPermissions = []string{"storage.objects.get", "storage.objects.update"}

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
	runtime       string // the Cloud Functions runtime of go.mod's go version
	buildInputs   []string
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
	{"event", checkEventFunction},
	{"env", checkEnvironment},
	{"defaults", checkDefaults},
	{"validation", checkValidations},
	{"public", checkPublic},
	{"iam", checkIAM},
	{"zip", checkZip},
	{"apis", checkAPIs},
	{"buckets", checkBuckets},
	{"secrets", checkSecrets},
	{"docs", checkDocs},
	{"outputs", checkOutputs},
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

// checkEventFunction: one function handles the upload bucket's finalized
// events, retried on failure, delivered by the trigger's own identity, on
// one instance by default.
func checkEventFunction(r *report, m *module, f *facts) {
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
	tr := triggers[0]
	if got := literalString(tr.Body.Attributes["event_type"]); got != f.eventType {
		r.add("event", "event_type is %q, want %q (contactphoto.FinalizedEventType)", got, f.eventType)
	}
	if got := literalString(tr.Body.Attributes["retry_policy"]); got != "RETRY_POLICY_RETRY" {
		r.add("event", "retry_policy is %q, want RETRY_POLICY_RETRY: transient failures must be delivered again", got)
	}
	if a := tr.Body.Attributes["service_account_email"]; a == nil || !m.refersTo(a.Expr, "google_service_account.trigger.email") {
		r.add("event", "the trigger's service_account_email must be google_service_account.trigger.email")
	}
	if a := tr.Body.Attributes["trigger_region"]; a == nil || !m.refersTo(a.Expr, "local.trigger_region") {
		r.add("event", "the trigger's trigger_region must be local.trigger_region, the upload bucket's location")
	}
	filters := childBlocks(tr.Body, "event_filters")
	if len(filters) != 1 || literalString(filters[0].Body.Attributes["attribute"]) != "bucket" ||
		filters[0].Body.Attributes["value"] == nil || !m.refersTo(filters[0].Body.Attributes["value"].Expr, "local.upload_bucket") ||
		filters[0].Body.Attributes["operator"] != nil {
		r.add("event", "the trigger must have exactly one event filter: attribute \"bucket\" equal to local.upload_bucket")
	}

	want := map[string]cty.Value{
		"timeout_seconds":                  cty.NumberIntVal(300),
		"max_instance_count":               cty.NumberIntVal(1),
		"max_instance_request_concurrency": cty.NumberIntVal(4),
		"available_memory":                 cty.StringVal("256M"),
		"ingress_settings":                 cty.StringVal("ALLOW_INTERNAL_ONLY"),
	}
	for _, name := range sortedKeys(want) {
		got, err := m.defaultOf(attr(b, "service_config", name))
		if err != nil {
			r.add("event", "service_config.%s: %v", name, err)
			continue
		}
		if !got.RawEquals(want[name]) {
			r.add("event", "service_config.%s is %s by default, want %s", name, show(got), show(want[name]))
		}
	}
	if a := attr(b, "service_config", "service_account_email"); a == nil || !m.refersTo(a.Expr, "google_service_account.event.email") {
		r.add("event", "the event function must run as google_service_account.event")
	}
}

// defaultOf evaluates an attribute that is a constant or a variable, with
// the variables' defaults.
func (m *module) defaultOf(a *hclsyntax.Attribute) (cty.Value, error) {
	if a == nil {
		return cty.NilVal, fmt.Errorf("not set")
	}
	vars, err := m.variableValues(nil)
	if err != nil {
		return cty.NilVal, err
	}
	v, diags := a.Expr.Value(m.evalContext(vars))
	if diags.HasErrors() {
		return cty.NilVal, fmt.Errorf("not a constant or a variable: %s", diags.Error())
	}
	return v, nil
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

// checkPublic: allUsers and allAuthenticatedUsers appear nowhere except in
// the one binding that webhook_public creates on the webhook (and in
// descriptions and validations, which grant nothing).
func checkPublic(r *report, m *module, f *facts) {
	for _, b := range m.blocks {
		allowed := false
		if b.Type == "resource" {
			if a := b.Body.Attributes["count"]; a != nil && m.refersTo(a.Expr, "var.webhook_public") &&
				b.Body.Attributes["name"] != nil && m.refersTo(b.Body.Attributes["name"].Expr, "google_cloudfunctions2_function.webhook") &&
				literalString(b.Body.Attributes["role"]) == "roles/run.invoker" {
				allowed = true
			}
		}
		if allowed {
			continue
		}
		visitAttributes(b.Body, nil, func(a *hclsyntax.Attribute, path []string) {
			if a.Name == "description" || a.Name == "error_message" || slices.Contains(path, "validation") {
				return
			}
			for _, s := range stringLiterals(a.Expr) {
				if strings.Contains(s, "allUsers") || strings.Contains(s, "allAuthenticatedUsers") {
					r.add("public", "%s %s: %s grants to the public outside the webhook_public binding", b.Type, strings.Join(b.Labels, "."), a.Name)
				}
			}
		})
	}
}

func visitAttributes(body *hclsyntax.Body, path []string, fn func(*hclsyntax.Attribute, []string)) {
	for _, a := range body.Attributes {
		fn(a, path)
	}
	for _, b := range body.Blocks {
		visitAttributes(b.Body, append(slices.Clone(path), b.Type), fn)
	}
}

// binding is one IAM grant the configuration makes, for the report.
type binding struct{ resource, role, member, on string }

// checkIAM: only additive member bindings; on the project only the two
// Eventarc roles; on buckets only the custom object role; on secrets only
// secretAccessor for the functions' own identities; on the functions'
// services only run.invoker, for the trigger (event function) or the
// webhook's callers.
func checkIAM(r *report, m *module, f *facts) {
	iamBindings(r, m)
}

// iamBindings checks every IAM resource and returns what each grants.
func iamBindings(r *report, m *module) []binding {
	var out []binding
	for _, key := range sortedKeys(m.resources) {
		typ, _, _ := strings.Cut(key, ".")
		b := m.resources[key]
		if !strings.Contains(typ, "_iam_") {
			continue
		}
		if strings.HasSuffix(typ, "_iam_binding") || strings.HasSuffix(typ, "_iam_policy") {
			r.add("iam", "%s is authoritative: it would remove grants made outside this configuration; use _iam_member", key)
			continue
		}
		if typ == "google_project_iam_custom_role" {
			checkCustomRole(r, m, key, b)
			continue
		}
		roleAttr, memberAttr := b.Body.Attributes["role"], b.Body.Attributes["member"]
		if roleAttr == nil || memberAttr == nil {
			r.add("iam", "%s has no role or member", key)
			continue
		}
		role := literalString(roleAttr)
		for _, s := range stringLiterals(roleAttr.Expr) {
			if s == "roles/owner" || s == "roles/editor" || s == "roles/viewer" {
				r.add("iam", "%s grants the basic role %s", key, s)
			}
		}
		member := strings.Join(m.refs(memberAttr.Expr), ",")
		if member == "" {
			member = literalString(memberAttr)
		}
		bind := binding{resource: key, role: role, member: member}
		switch typ {
		case "google_project_iam_member":
			bind.on = "project"
			wantMember, ok := projectRoles[role]
			switch {
			case !ok:
				r.add("iam", "%s grants %q on the project; only %v may be granted there", key, role, sortedKeys(projectRoles))
			case !m.refersTo(memberAttr.Expr, wantMember):
				r.add("iam", "%s grants %s on the project to %s; only %s needs it", key, role, member, wantMember)
			}
		case "google_storage_bucket_iam_member":
			bind.on = "bucket " + strings.Join(m.refs(b.Body.Attributes["bucket"].Expr), ",")
			if !m.refersTo(roleAttr.Expr, "google_project_iam_custom_role.objects") {
				r.add("iam", "%s grants %s on a bucket; only the custom object role (read, metadata update) may be granted", key, show(cty.StringVal(role)))
			} else {
				bind.role = "custom role google_project_iam_custom_role.objects"
			}
			if !runtimeMember(m, b, memberAttr) {
				r.add("iam", "%s grants bucket access to %s; only the functions' service accounts read objects", key, member)
			}
		case "google_secret_manager_secret_iam_member":
			bind.on = "secret " + strings.Join(m.refs(b.Body.Attributes["secret_id"].Expr), ",")
			if role != "roles/secretmanager.secretAccessor" {
				r.add("iam", "%s grants %q on a secret; only roles/secretmanager.secretAccessor", key, role)
			}
			if !runtimeMember(m, b, memberAttr) {
				r.add("iam", "%s grants a secret to %s; only the functions' service accounts read secrets", key, member)
			}
			if m.refersTo(b.Body.Attributes["secret_id"].Expr, "google_secret_manager_secret.webhook_key") &&
				!m.refersTo(memberAttr.Expr, "google_service_account.webhook") {
				r.add("iam", "%s grants the webhook key to %s; only the webhook reads it", key, member)
			}
		case "google_cloud_run_v2_service_iam_member", "google_cloud_run_service_iam_member", "google_cloudfunctions2_function_iam_member":
			target := b.Body.Attributes["name"]
			if target == nil {
				target = b.Body.Attributes["service"]
			}
			if target == nil {
				target = b.Body.Attributes["cloud_function"]
			}
			bind.on = "service of " + strings.Join(m.refs(target.Expr), ",")
			if role != "roles/run.invoker" {
				r.add("iam", "%s grants %q on a function's service; only roles/run.invoker", key, role)
			}
			event, _ := functions(m)
			switch {
			case event != "" && m.refersTo(target.Expr, "google_cloudfunctions2_function."+event):
				if !m.refersTo(memberAttr.Expr, "google_service_account.trigger") {
					r.add("iam", "%s lets %s invoke the event function; only the trigger's service account delivers events", key, member)
				}
			case m.refersTo(target.Expr, "google_cloudfunctions2_function.webhook"):
				fe := b.Body.Attributes["for_each"]
				public := b.Body.Attributes["count"] != nil && m.refersTo(b.Body.Attributes["count"].Expr, "var.webhook_public")
				if !(fe != nil && m.refersTo(fe.Expr, "var.webhook_invokers") && m.refersTo(memberAttr.Expr, "each.value")) && !public {
					r.add("iam", "%s lets %s invoke the webhook; only var.webhook_invokers (or allUsers under webhook_public) may", key, member)
				}
			default:
				r.add("iam", "%s grants invoker on something other than the configuration's functions", key)
			}
		case "google_service_account_iam_member":
			bind.on = "service accounts in var.delegation_service_accounts"
			fe := b.Body.Attributes["for_each"]
			if role != "roles/iam.serviceAccountTokenCreator" || fe == nil || !m.refersTo(fe.Expr, "var.delegation_service_accounts") {
				r.add("iam", "%s: service account grants are only token creator on the delegation accounts", key)
			}
			if !runtimeMember(m, b, memberAttr) {
				r.add("iam", "%s lets %s sign as a delegation account; only the functions may", key, member)
			}
		default:
			r.add("iam", "%s: this test does not know the IAM resource type %s; add its rule", key, typ)
		}
		out = append(out, bind)
	}
	return out
}

// runtimeMember reports whether a member expression names only the
// functions' own service accounts: directly, or through each.value of a
// for_each over local.runtime_members.
func runtimeMember(m *module, b *hclsyntax.Block, a *hclsyntax.Attribute) bool {
	refs := m.refs(a.Expr)
	if len(refs) == 0 {
		return false
	}
	for _, r := range refs {
		switch {
		case r == "google_service_account.event" || strings.HasPrefix(r, "google_service_account.event."),
			r == "google_service_account.webhook" || strings.HasPrefix(r, "google_service_account.webhook."),
			r == "var.webhook_enabled", r == "local.runtime_members":
		case strings.HasPrefix(r, "each."):
			fe := b.Body.Attributes["for_each"]
			if fe == nil || !m.refersTo(fe.Expr, "local.runtime_members") {
				return false
			}
		default:
			return false
		}
	}
	return true
}

// checkCustomRole: the object role holds only object read and metadata
// update, and update only while status write-back is on.
func checkCustomRole(r *report, m *module, key string, b *hclsyntax.Block) {
	a := b.Body.Attributes["permissions"]
	if a == nil {
		r.add("iam", "%s has no permissions", key)
		return
	}
	for _, writeback := range []bool{true, false} {
		vars, err := m.variableValues(map[string]cty.Value{"status_writeback": cty.BoolVal(writeback)})
		if err != nil {
			r.add("iam", "%v", err)
			return
		}
		v, diags := a.Expr.Value(m.evalContext(vars))
		if diags.HasErrors() {
			r.add("iam", "%s: permissions must depend on variables only: %s", key, diags.Error())
			return
		}
		var got []string
		for it := v.ElementIterator(); it.Next(); {
			_, p := it.Element()
			got = append(got, p.AsString())
		}
		want := objectPermissions[:1]
		if writeback {
			want = objectPermissions
		}
		if diff := cmp.Diff(want, got); diff != "" {
			r.add("iam", "%s with status_writeback=%t grants the wrong permissions (-want +got):\n%s", key, writeback, diff)
		}
	}
}

// checkZip: the source zip holds what Cloud Build needs and no tests, test
// data, Terraform, benchmarks or Git metadata; its object is named by its
// hash, and the functions are built from it.
func checkZip(r *report, m *module, f *facts) {
	b := m.data["archive_file.source"]
	if b == nil {
		r.add("zip", "no data \"archive_file\" \"source\"")
		return
	}
	vars, err := m.variableValues(nil)
	if err != nil {
		r.add("zip", "%v", err)
		return
	}
	ctx := m.evalContext(vars)
	srcAttr, exAttr := b.Body.Attributes["source_dir"], b.Body.Attributes["excludes"]
	if srcAttr == nil || exAttr == nil {
		r.add("zip", "archive_file.source needs source_dir and excludes")
		return
	}
	src, diags := srcAttr.Expr.Value(ctx)
	if diags.HasErrors() || src.Type() != cty.String {
		r.add("zip", "source_dir is not a path built from path.module")
		return
	}
	if !sameDir(src.AsString(), f.root) {
		r.add("zip", "source_dir is %s, not the module root", src.AsString())
	}
	ex, diags := exAttr.Expr.Value(ctx)
	if diags.HasErrors() {
		r.add("zip", "excludes is not constant: %s", diags.Error())
		return
	}
	var excludes []string
	for it := ex.ElementIterator(); it.Next(); {
		_, p := it.Element()
		excludes = append(excludes, p.AsString())
	}
	files, err := archiveContents(f.root, excludes)
	if err != nil {
		r.add("zip", "%v", err)
		return
	}
	in := map[string]bool{}
	for _, p := range files {
		in[p] = true
		top, _, _ := strings.Cut(p, "/")
		switch {
		case strings.HasSuffix(p, "_test.go"):
			r.add("zip", "the zip holds the test file %s", p)
		case slices.Contains(strings.Split(p, "/"), "testdata"):
			r.add("zip", "the zip holds test data %s", p)
		case top == "terraform" || top == "bench" || top == ".git":
			r.add("zip", "the zip holds %s", p)
		}
	}
	for _, p := range f.buildInputs {
		if !in[p] {
			r.add("zip", "the zip lacks %s, which the build needs", p)
		}
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

// checkAPIs: every API is enabled and stays enabled on destroy.
func checkAPIs(r *report, m *module, f *facts) {
	b := m.resources["google_project_service.apis"]
	if b == nil {
		r.add("apis", "no google_project_service.apis")
		return
	}
	if v, ok := literal(b.Body.Attributes["disable_on_destroy"]); !ok || !v.RawEquals(cty.False) {
		r.add("apis", "disable_on_destroy must be false: destroying the deployment must not switch APIs off for the rest of the project")
	}
	fe := b.Body.Attributes["for_each"]
	if fe == nil {
		r.add("apis", "google_project_service.apis must enable the APIs with for_each")
		return
	}
	got := stringLiteralsDeep(m, fe.Expr)
	for _, api := range requiredAPIs {
		if !slices.Contains(got, api) {
			r.add("apis", "%s is not enabled", api)
		}
	}
}

// stringLiteralsDeep is stringLiterals through references to locals.
func stringLiteralsDeep(m *module, e hclsyntax.Expression) []string {
	out := stringLiterals(e)
	for _, ref := range m.refs(e) {
		if local, ok := strings.CutPrefix(ref, "local."); ok && m.locals[local] != nil {
			out = append(out, stringLiterals(m.locals[local].Expr)...)
		}
	}
	return out
}

// checkBuckets: both buckets are private by construction and in the
// functions' region; the upload bucket has lifecycle rules and a choice
// between creating it and using an existing one.
func checkBuckets(r *report, m *module, f *facts) {
	for _, name := range []string{"uploads", "source"} {
		b := m.resources["google_storage_bucket."+name]
		if b == nil {
			r.add("buckets", "no google_storage_bucket.%s", name)
			continue
		}
		if v, ok := literal(b.Body.Attributes["uniform_bucket_level_access"]); !ok || !v.RawEquals(cty.True) {
			r.add("buckets", "bucket %s must have uniform_bucket_level_access = true", name)
		}
		if got := literalString(b.Body.Attributes["public_access_prevention"]); got != "enforced" {
			r.add("buckets", "bucket %s must have public_access_prevention = \"enforced\"", name)
		}
		if a := b.Body.Attributes["location"]; a == nil || !m.refersTo(a.Expr, "var.region") {
			r.add("buckets", "bucket %s must be in var.region", name)
		}
	}
	if up := m.resources["google_storage_bucket.uploads"]; up != nil {
		if len(childBlocks(up.Body, "lifecycle_rule")) == 0 {
			r.add("buckets", "the upload bucket has no lifecycle rule")
		}
		if a := up.Body.Attributes["count"]; a == nil || !m.refersTo(a.Expr, "var.create_bucket") {
			r.add("buckets", "the upload bucket must be created only when var.create_bucket")
		}
	}
	if a := m.locals["trigger_region"]; a == nil || !m.refersTo(a.Expr, "var.region") || !m.refersTo(a.Expr, "data.google_storage_bucket.existing.location") {
		r.add("buckets", "local.trigger_region must be var.region for a created bucket and the existing bucket's location otherwise")
	}
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

// checkOutputs: the outputs hand the user what comes after apply: where to
// upload and with which metadata key, how to authorize, where the webhook
// is, and who the service accounts are.
func checkOutputs(r *report, m *module, f *facts) {
	want := map[string][]string{
		"upload_bucket":     {"local.upload_bucket"},
		"upload_command":    {"local.upload_bucket", "var.contact_metadata_key"},
		"token_secret":      {"google_secret_manager_secret.token.id"},
		"authorize_command": {"google_secret_manager_secret.token.id"},
		"webhook_url":       {"google_cloudfunctions2_function.webhook.service_config.uri"},
		"service_accounts":  {"google_service_account.event.email", "google_service_account.trigger.email", "google_service_account.webhook.email"},
	}
	for _, name := range sortedKeys(want) {
		b := m.outputs[name]
		if b == nil || b.Body.Attributes["value"] == nil {
			r.add("outputs", "no output %q", name)
			continue
		}
		for _, ref := range want[name] {
			if !m.refersTo(b.Body.Attributes["value"].Expr, ref) {
				r.add("outputs", "output %q does not use %s", name, ref)
			}
		}
	}
	if b := m.outputs["upload_command"]; b != nil && b.Body.Attributes["value"] != nil {
		if text := strings.Join(stringLiterals(b.Body.Attributes["value"].Expr), ""); !strings.Contains(text, "gcloud storage cp ") || !strings.Contains(text, " --custom-metadata=") {
			r.add("outputs", "upload_command must be a gcloud storage cp with --custom-metadata")
		}
	}
	if b := m.outputs["authorize_command"]; b != nil && b.Body.Attributes["value"] != nil {
		if text := strings.Join(stringLiterals(b.Body.Attributes["value"].Expr), ""); !strings.Contains(text, "contactphoto authorize --client-secret client_secret.json --secret ") {
			r.add("outputs", "authorize_command must run contactphoto authorize --client-secret client_secret.json --secret")
		}
	}
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
