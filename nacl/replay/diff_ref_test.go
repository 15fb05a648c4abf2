package replay

import "fmt"

// Compare is the reference of CompareTopologies, the two-report path it
// replaced: it returns the legs whose verdict changes from oldRep to
// newRep, two full reports of the same Recording (both from Summarize,
// or both materialised by BuildReport). Changes are ordered by
// conversation ID, request before response, newly denied first.
func Compare(oldRep, newRep *Report) (*Diff, error) {
	if len(oldRep.Unattributed) != len(newRep.Unattributed) || (oldRep.lazy == nil) != (newRep.lazy == nil) ||
		(oldRep.lazy == nil && len(oldRep.Conversations) != len(newRep.Conversations)) ||
		(oldRep.lazy != nil && oldRep.lazy.rec != newRep.lazy.rec) {
		return nil, fmt.Errorf("reports of different recordings: %d and %d conversations", oldRep.Summary.Conversations, newRep.Summary.Conversations)
	}
	d := &Diff{Old: oldRep.Summary, New: newRep.Summary}
	if oldRep.lazy != nil {
		ob := &convBuilder{j: oldRep.lazy.j, rec: oldRep.lazy.rec, rolesOnly: true}
		nb := &convBuilder{j: newRep.lazy.j, rec: newRep.lazy.rec, rolesOnly: true}
		for id := 1; id <= ob.rec.NumConversations(); id++ {
			oc, ok := ob.result(id)
			if !ok {
				continue
			}
			nc, _ := nb.result(id)
			d.compareConv(oc, nc, ob.rec, id)
		}
	} else {
		for i, oc := range oldRep.Conversations {
			nc := newRep.Conversations[i]
			if oc.Conv.ID != nc.Conv.ID {
				return nil, fmt.Errorf("reports of different recordings: conversation %d vs %d", oc.Conv.ID, nc.Conv.ID)
			}
			d.compareConv(oc, nc, nil, 0)
		}
	}
	for i := range oldRep.Unattributed {
		d.compareUnattributed(&oldRep.Unattributed[i], &newRep.Unattributed[i])
	}
	return d, nil
}

// compareTopologiesRef is the reference of CompareTopologies: both
// topologies judge the whole recording into a report each (no fixes),
// then Compare compares them.
func compareTopologiesRef(oldTopo, newTopo *Topology, rec *Recording) (*Diff, error) {
	oldJudge, err := NewJudge(oldTopo)
	if err != nil {
		return nil, err
	}
	newJudge, err := NewJudge(newTopo)
	if err != nil {
		return nil, err
	}
	noFixes := ReportOptions{NoFixes: true}
	return Compare(SummarizeWith(oldJudge, rec, noFixes), SummarizeWith(newJudge, rec, noFixes))
}
