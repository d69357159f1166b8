package awsfake

import (
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Message is a message sent to a queue.
type Message struct {
	// QueueURL is the queue it was sent to.
	QueueURL string
	// ID is the message id the fake gave it.
	ID   string
	Body string
	// Attributes are its string message attributes.
	Attributes map[string]string
}

// Messages returns the messages sent, in order, and forgets them.
func (o *Org) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	m := o.queue
	o.queue = nil
	return m
}

// sqs serves SendMessage (AWS JSON 1.0:
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html),
// answering the body's MD5 as the SDK checks it.
func (o *Org) sqs(q *request) {
	const ct = "application/x-amz-json-1.0"
	target := q.r.Header.Get("X-Amz-Target")
	op := strings.TrimPrefix(target, "AmazonSQS.")
	var in struct {
		QueueUrl          string
		MessageBody       string
		MessageAttributes map[string]struct{ DataType, StringValue string }
	}
	if err := json.Unmarshal(q.body, &in); err != nil || op != "SendMessage" {
		jsonError(q.w, ct, http.StatusBadRequest, "InvalidAction", "awsfake: SQS serves SendMessage only")
		return
	}
	o.record(q, "sqs:"+op, map[string]string{"QueueUrl": in.QueueUrl})
	m := Message{QueueURL: in.QueueUrl, ID: fmt.Sprintf("msg-%d", len(o.calls)), Body: in.MessageBody, Attributes: map[string]string{}}
	for k, v := range in.MessageAttributes {
		m.Attributes[k] = v.StringValue
	}
	o.queue = append(o.queue, m)
	sum := md5.Sum([]byte(in.MessageBody))
	q.w.Header().Set("Content-Type", ct)
	fmt.Fprintf(q.w, `{"MessageId":%q,"MD5OfMessageBody":%q}`, m.ID, hex.EncodeToString(sum[:]))
}
