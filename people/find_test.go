package people

import "testing"

func TestSizedPhotoURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://lh3.googleusercontent.com/contacts/ABC=s100":          "https://lh3.googleusercontent.com/contacts/ABC=s1024",
		"https://lh3.googleusercontent.com/contacts/ABC":               "https://lh3.googleusercontent.com/contacts/ABC=s1024",
		"https://lh3.googleusercontent.com/a=b/photo.jpg":              "https://lh3.googleusercontent.com/a=b/photo.jpg=s1024",
		"https://lh4.googleusercontent.com/JDjSmaNIR-Q4l6d97ig=s100-c": "https://lh4.googleusercontent.com/JDjSmaNIR-Q4l6d97ig=s1024",
	} {
		if got := sizedPhotoURL(in, 1024); got != want {
			t.Errorf("sizedPhotoURL(%q) = %q, want %q", in, got, want)
		}
	}
}
