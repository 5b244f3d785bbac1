package classify

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteText writes the catalog as an aligned table, one column per line, then the
// table-level classes. Like the catalog it holds no data values.
func (c *Catalog) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TABLE\tCOLUMN\tTYPE\tCLASS\tSOURCE\tCONFIDENCE\tREASON")
	for _, x := range c.Columns {
		class := string(x.Class)
		if !x.Settled {
			class += " (unclassified)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%.2f\t%s\n", x.Table, x.Column, x.Type, class, x.Source, x.Confidence, oneLine(x.Reason))
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "TABLE\tCLASS\tSOURCE\tSENSITIVE COLUMNS\tSAMPLE\tREASON")
	for _, t := range c.Tables {
		sample := "-"
		if t.SampleMethod != "" {
			sample = fmt.Sprintf("%d rows (%s)", t.SampledRows, t.SampleMethod)
		}
		sens := strings.Join(t.SensitiveColumns, ",")
		if sens == "" {
			sens = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Table, t.Class, t.Source, sens, sample, oneLine(t.Reason))
	}
	return tw.Flush()
}

// WriteJSON writes the catalog as {"columns":[…],"tables":[…]} with a trailing newline.
func (c *Catalog) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(c)
}

func oneLine(s string) string { return strings.ReplaceAll(s, "\n", " ") }
