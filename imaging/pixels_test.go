package imaging

import (
	"math"
	"testing"
)

func TestEncode8MatchesFormula(t *testing.T) {
	tab := encode8()
	if len(tab) != encodeSteps+1 {
		t.Fatalf("%d entries, want %d", len(tab), encodeSteps+1)
	}
	for i, got := range tab {
		if want := uint8(math.Round(255 * linearToSRGB(float64(i)/encodeSteps))); got != want {
			t.Fatalf("entry %d = %d, want %d", i, got, want)
		}
	}
}
