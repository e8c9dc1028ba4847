package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"

	"github.com/contactphoto/contactphoto/internal/localstack"
)

// A documentation block marked with a <!-- runnable --> line right before
// its ```sh fence is run by TestRunnableDocs; <!-- runnable: clone --> runs
// it at the root of a copy of the repository, as a user who has just
// cloned it, with `go` and GOBIN pointing at a scratch folder.
const (
	runnableMark      = "<!-- runnable -->"
	runnableCloneMark = "<!-- runnable: clone -->"
)

// docBlock is a runnable shell block of the documentation.
type docBlock struct {
	file  string
	line  int
	clone bool
	body  string
}

// runnableBlocks finds the marked blocks of the README and docs/.
func runnableBlocks(t *testing.T, root string) []docBlock {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append([]string{filepath.Join(root, "README.md")}, files...)
	var blocks []docBlock
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		for i := 0; i < len(lines); i++ {
			mark := strings.TrimSpace(lines[i])
			if mark != runnableMark && mark != runnableCloneMark {
				continue
			}
			if i+1 >= len(lines) || strings.TrimSpace(lines[i+1]) != "```sh" {
				t.Errorf("%s:%d: %s is not right before a ```sh block", f, i+1, mark)
				continue
			}
			b := docBlock{file: filepath.Base(f), line: i + 3, clone: mark == runnableCloneMark}
			var body []string
			for i += 2; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
				body = append(body, lines[i])
			}
			b.body = strings.Join(body, "\n")
			blocks = append(blocks, b)
		}
	}
	return blocks
}

// TestRunnableDocs runs the documentation's runnable shell blocks in order,
// with the built binary on the PATH, against the stand-ins: the commands a
// reader copies cannot drift from what the tool does. Blocks run in one
// folder, as a reader's shell session would, that holds what the text has
// the reader make or have: token.json (from 'contactphoto authorize
// --out'), a photos/ folder named after contacts that exist, the bucket
// $BUCKET with an uploaded photo, and the webhook key in webhook.key.
func TestRunnableDocs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the documentation's commands")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	blocks := runnableBlocks(t, root)
	if len(blocks) < 5 {
		t.Fatalf("%d runnable blocks in the README and docs/; the first steps must be runnable", len(blocks))
	}
	bin, err := builtBinary()
	if err != nil {
		t.Fatal(err)
	}
	stack := startStack(t, nil)
	t.Setenv("PHOTO_SIZE", "") // as a reader has it
	world := t.TempDir()
	writeWorld(t, stack, world, root)
	clone := t.TempDir()
	copyRepo(t, root, clone)
	gobin := t.TempDir()
	// GOBIN comes first: once the install block ran, the reader's own
	// binary runs the rest.
	env := append(os.Environ(),
		"PATH="+gobin+string(os.PathListSeparator)+filepath.Dir(bin)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"BUCKET="+localstack.Bucket,
		"GOBIN="+gobin,
	)
	for _, b := range blocks {
		cmd := exec.Command("bash", "-euo", "pipefail", "-c", b.body)
		cmd.Env = env
		cmd.Dir = world
		if b.clone {
			cmd.Dir = clone
		}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Errorf("%s:%d: the block failed (%v):\n%s\noutput:\n%s", b.file, b.line, err, b.body, out)
		}
	}
}

// writeWorld makes what the documentation has the reader make or have.
func writeWorld(t *testing.T, stack *localstack.Stack, dir, root string) {
	t.Helper()
	token, err := json.Marshal(map[string]string{
		"type": "authorized_user", "client_id": localstack.ClientID, "client_secret": localstack.ClientSecret,
		"refresh_token": stack.RefreshTokens[""], "token_uri": stack.OAuth.TokenURL(),
	})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "token.json"), token)
	writeFile(t, filepath.Join(dir, "webhook.key"), []byte("a webhook key of at least sixteen bytes"))
	stack.People.AddContact("", "people/c1234567890", "alice@example.com")
	stack.People.AddContact("", "people/c2345678901")
	samples := filepath.Join(root, "cmd", "contactphoto", "samples")
	for name, sample := range map[string]string{
		"photos/c2345678901.jpg":       "bird.jpg",
		"photos/alice@example.com.jpg": "dogs-portrait.jpg",
		"portrait.jpg":                 "dogs-portrait.jpg",
	} {
		writeFile(t, filepath.Join(dir, name), readFile(t, filepath.Join(samples, sample)))
	}
	if _, err := stack.Storage.Put(localstack.Bucket, "team/alice.jpg", "image/jpeg", readFile(t, filepath.Join(samples, "bird.jpg")),
		map[string]string{"resourceName": "people/c1234567890"}); err != nil {
		t.Fatal(err)
	}
}

// copyRepo copies the files git tracks, or would, into dir.
func copyRepo(t *testing.T, root, dir string) {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		rel := sc.Text()
		data, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // deleted in the working copy
			}
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, rel), data)
	}
}

// TestDocLinks checks that every relative link of the README and docs/
// reaches a file, and a heading of it when it names one, as GitHub makes
// their anchors.
func TestDocLinks(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, filepath.Join(root, "README.md"), filepath.Join(root, "CHANGELOG.md"))
	anchors := map[string]map[string]bool{}
	anchorsOf := func(path string) map[string]bool {
		if a, ok := anchors[path]; ok {
			return a
		}
		a := map[string]bool{}
		data, _ := os.ReadFile(path)
		fence := false
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "```") {
				fence = !fence
			}
			if !fence && strings.HasPrefix(l, "#") {
				a[githubAnchor(strings.TrimLeft(l, "# "))] = true
			}
		}
		anchors[path] = a
		return a
	}
	links := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mdLink.FindAllStringSubmatch(string(data), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			links++
			file, anchor, _ := strings.Cut(target, "#")
			path := f
			if file != "" {
				path = filepath.Join(filepath.Dir(f), file)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("%s: link %q: %v", filepath.Base(f), target, err)
				continue
			}
			if anchor != "" && strings.HasSuffix(path, ".md") && !anchorsOf(path)[anchor] {
				t.Errorf("%s: link %q: no such heading in %s", filepath.Base(f), target, filepath.Base(path))
			}
		}
	}
	if links == 0 {
		t.Error("no relative links found")
	}
}

// mdLink matches the target of a Markdown link.
var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// githubAnchor makes a heading's anchor as GitHub does: lower case, spaces
// to hyphens, punctuation other than hyphens and underscores dropped.
func githubAnchor(heading string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(heading)) {
		switch {
		case r == ' ':
			b.WriteByte('-')
		case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		}
	}
	return b.String()
}
