package assembly

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// object is a JSON object that keeps its members' order, so that a rewritten manifest lists
// artifacts in the order the CDK wrote them (the cdk CLI shows and deploys them in that order).
type object []member

type member struct {
	Key   string
	Value json.RawMessage
}

func (o *object) UnmarshalJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("want a JSON object")
	}
	*o = nil
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, member{Key: tok.(string), Value: v})
	}
	_, err := dec.Token()
	return err
}

// marshal renders o as the CDK does: two-space indentation.
func (o object) marshal() []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, o.compact(), "", "  "); err != nil {
		panic(err) // members are valid JSON by construction
	}
	return out.Bytes()
}

// compact renders o with its members' values as they are.
func (o object) compact() []byte {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.Key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(m.Value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func (o object) keys() []string {
	k := make([]string, len(o))
	for i, m := range o {
		k[i] = m.Key
	}
	return k
}

func (o object) get(key string) json.RawMessage {
	for _, m := range o {
		if m.Key == key {
			return m.Value
		}
	}
	return nil
}

func (o *object) set(key string, v json.RawMessage) {
	for i, m := range *o {
		if m.Key == key {
			(*o)[i].Value = v
			return
		}
	}
	*o = append(*o, member{Key: key, Value: v})
}

func (o object) object(key string) (object, error) {
	raw := o.get(key)
	if raw == nil {
		return nil, nil
	}
	var inner object
	if err := json.Unmarshal(raw, &inner); err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return inner, nil
}
