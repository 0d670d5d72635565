// Package lineage records and follows where an Earth-observation product comes from: SLSA
// provenance v1 attestations whose resolvedDependencies are the input products (by digest),
// written by `eopack attest --derived-from`, and the walk from a product through the
// attestations of its inputs, their inputs, and so on (`eopack lineage`).
//
// Spec: https://slsa.dev/spec/v1.0/provenance
package lineage

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
)

// BuildType names eopack's derived-product provenance: externalParameters hold the
// processor (name, version) and its parameters; resolvedDependencies the input products.
const BuildType = "https://github.com/eopack/eopack/lineage/derived-product/v1"

// URIScheme prefixes the URI of an input product: oci://host/repository@digest.
const URIScheme = "oci://"

// Provenance is a SLSA provenance v1 predicate.
type Provenance struct {
	BuildDefinition BuildDefinition `json:"buildDefinition"`
	RunDetails      RunDetails      `json:"runDetails"`
}

// BuildDefinition is the provenance's buildDefinition.
type BuildDefinition struct {
	BuildType            string               `json:"buildType"`
	ExternalParameters   json.RawMessage      `json:"externalParameters"`
	ResolvedDependencies []ResourceDescriptor `json:"resolvedDependencies,omitempty"`
}

// ResourceDescriptor is an in-toto ResourceDescriptor.
type ResourceDescriptor struct {
	URI       string            `json:"uri,omitempty"`
	Digest    map[string]string `json:"digest,omitempty"`
	Name      string            `json:"name,omitempty"`
	MediaType string            `json:"mediaType,omitempty"`
}

// RunDetails is the provenance's runDetails.
type RunDetails struct {
	Builder  Builder   `json:"builder"`
	Metadata *Metadata `json:"metadata,omitempty"`
}

// Builder is the provenance's runDetails.builder.
type Builder struct {
	ID      string            `json:"id"`
	Version map[string]string `json:"version,omitempty"`
}

// Metadata is the provenance's runDetails.metadata.
type Metadata struct {
	FinishedOn string `json:"finishedOn,omitempty"`
}

// Processor is the software that made a derived product.
type Processor struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

// externalParameters is what BuildType keeps in buildDefinition.externalParameters.
type externalParameters struct {
	Processor  Processor       `json:"processor"`
	Parameters json.RawMessage `json:"parameters,omitempty"`
}

// Input is one input product: its repository (host/name), manifest and the reference it was
// named by.
type Input struct {
	Repository string
	Digest     digest.Digest
	MediaType  string
	Name       string
}

// URI is the input's oci://host/repository@digest.
func (in Input) URI() string { return URIScheme + in.Repository + "@" + in.Digest.String() }

// NewProvenance makes the SLSA provenance v1 predicate of a product made by p from inputs,
// with the processor's parameters (JSON, may be nil).
func NewProvenance(p Processor, parameters json.RawMessage, inputs []Input, finished time.Time) ([]byte, error) {
	if p.Name == "" {
		return nil, fmt.Errorf("the processor has no name")
	}
	if len(parameters) > 0 && !json.Valid(parameters) {
		return nil, fmt.Errorf("the parameters are not JSON")
	}
	ext, err := json.Marshal(externalParameters{Processor: p, Parameters: parameters})
	if err != nil {
		return nil, err
	}
	prov := Provenance{
		BuildDefinition: BuildDefinition{BuildType: BuildType, ExternalParameters: ext},
		RunDetails: RunDetails{
			Builder:  Builder{ID: "urn:eopack:processor:" + p.Name, Version: map[string]string{p.Name: p.Version}},
			Metadata: &Metadata{FinishedOn: finished.UTC().Format(time.RFC3339)},
		},
	}
	for _, in := range inputs {
		prov.BuildDefinition.ResolvedDependencies = append(prov.BuildDefinition.ResolvedDependencies, ResourceDescriptor{
			URI:       in.URI(),
			Digest:    map[string]string{in.Digest.Algorithm().String(): in.Digest.Encoded()},
			Name:      in.Name,
			MediaType: in.MediaType,
		})
	}
	return json.Marshal(prov)
}

// ParseProvenance reads a SLSA provenance v1 predicate: the processor (when the build type is
// eopack's) and the input products among its resolvedDependencies (those with an oci:// URI
// and a digest).
func ParseProvenance(predicate []byte) (*Processor, []Input, error) {
	var prov Provenance
	if err := json.Unmarshal(predicate, &prov); err != nil {
		return nil, nil, fmt.Errorf("SLSA provenance: %w", err)
	}
	var proc *Processor
	if prov.BuildDefinition.BuildType == BuildType {
		var ext externalParameters
		if err := json.Unmarshal(prov.BuildDefinition.ExternalParameters, &ext); err == nil && ext.Processor.Name != "" {
			proc = &ext.Processor
		}
	}
	var inputs []Input
	for _, d := range prov.BuildDefinition.ResolvedDependencies {
		in, ok := parseInput(d)
		if ok {
			inputs = append(inputs, in)
		}
	}
	return proc, inputs, nil
}

// parseInput reads an oci://host/repository@digest dependency whose digest field agrees.
func parseInput(d ResourceDescriptor) (Input, bool) {
	rest, ok := strings.CutPrefix(d.URI, URIScheme)
	if !ok {
		return Input{}, false
	}
	repo, dg, ok := strings.Cut(rest, "@")
	if !ok || repo == "" {
		return Input{}, false
	}
	dgst, err := digest.Parse(dg)
	if err != nil {
		return Input{}, false
	}
	if v, ok := d.Digest[dgst.Algorithm().String()]; ok && v != dgst.Encoded() {
		return Input{}, false
	}
	return Input{Repository: repo, Digest: dgst, MediaType: d.MediaType, Name: d.Name}, true
}
