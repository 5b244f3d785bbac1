package main

import "fmt"

// The sizes of the full scale are those of issue 11.
func ExampleScaleSizes() {
	s, err := ScaleSizes("full")
	if err != nil {
		panic(err)
	}
	fmt.Println("startup versions:", s.Versions)
	fmt.Println("archive partition:", humanCount(s.ArchiveMain), "peak RSS at", humanCount(s.RSSAt[0]), "and", humanCount(s.RSSAt[1]))
	fmt.Println("integrity child table:", humanCount(s.IntegrityRows[len(s.IntegrityRows)-1]))
	fmt.Println("hard delete:", humanCount(s.DeleteRows[len(s.DeleteRows)-1]*deleteTables), "rows over", deleteTables, "tables")
	fmt.Println("targets enforced:", s.EnforceTargets)
	// Output:
	// startup versions: 200
	// archive partition: 2M peak RSS at 2M and 20M
	// integrity child table: 10M
	// hard delete: 1M rows over 10 tables
	// targets enforced: true
}
